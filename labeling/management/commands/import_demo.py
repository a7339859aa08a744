from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labeling.demo import demo_project_import
from labeling.models import Project
from learner.datasets import DATASETS


class Command(BaseCommand):
    help = "Create a project from a built-in real dataset (mnist-5k, digits, rotten-tomatoes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", choices=DATASETS)
        parser.add_argument("--name", help="Project name (default: the dataset name).")
        parser.add_argument("--eval-fraction", type=float, default=0.2)
        parser.add_argument("--limit", type=int, help="Import only the first N items of a shuffle.")
        parser.add_argument("--strategy", default="entropy")
        parser.add_argument("--retrain-every", type=int, default=20)
        parser.add_argument("--encoder", default="default",
                            help="Pretrained encoder; 'default': the demo's for the modality, '': pixels or TF-IDF.")

    def handle(self, *args: Any, **opts: Any) -> None:
        name = opts["name"] or opts["dataset"]
        if Project.objects.filter(name=name).exists():
            raise CommandError(f"A project named {name!r} exists already.")
        project, summary = demo_project_import(
            dataset=opts["dataset"], name=name, eval_fraction=opts["eval_fraction"], limit=opts["limit"],
            strategy=opts["strategy"], retrain_every=opts["retrain_every"],
            encoder=None if opts["encoder"] == "default" else opts["encoder"],
        )  # fmt: skip
        self.stdout.write(f"Project {project.pk} {name!r}: {summary.pool} pool, {summary.eval} evaluation items.")
