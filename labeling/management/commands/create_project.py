from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from labeling.management.commands._helpers import cli_errors
from labeling.services.projects import project_create
from learner.metrics import METRICS
from learner.ranking import DEFAULT_STRATEGY


class Command(BaseCommand):
    help = "Create a labeling project with its classes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--modality", choices=["image", "text"], required=True)
        parser.add_argument("--classes", required=True, help="Comma-separated class names, in key order.")
        parser.add_argument("--budget", type=int, default=500)
        parser.add_argument("--retrain-every", type=int, default=20)
        parser.add_argument("--strategy", default=DEFAULT_STRATEGY)
        parser.add_argument("--metric", default="", choices=["", *METRICS],
                            help="accuracy, balanced_accuracy or macro_f1; default: chosen from the labels")
        parser.add_argument(
            "--no-diverse-batches", action="store_true", help="Take each batch by score alone, not spread out."
        )
        parser.add_argument("--committee-size", type=int, default=5, help="Members for committee strategies.")
        parser.add_argument("--density-beta", type=float, default=1.0, help="Weight of density in density_entropy.")
        parser.add_argument("--encoder", default="", help="Pretrained encoder, e.g. efficientnet-lite0 or minilm-l6.")
        parser.add_argument(
            "--adaptation", default="none", help="none, or contrastive: adapt the encoder's embeddings to the pool."
        )
        parser.add_argument(
            "--finetune-last-block", action="store_true", help="Also fine-tune the encoder's last block (EfficientNet)."
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **opts: Any) -> None:
        with cli_errors():
            project = project_create(
                name=opts["name"], modality=opts["modality"], class_names=opts["classes"].split(","),
                label_budget=opts["budget"], retrain_every=opts["retrain_every"],
                strategy=opts["strategy"], metric=opts["metric"], seed=opts["seed"],
                diverse_batches=not opts["no_diverse_batches"],
                committee_size=opts["committee_size"], density_beta=opts["density_beta"], encoder=opts["encoder"],
                adaptation=opts["adaptation"], finetune_last_block=opts["finetune_last_block"],
            )  # fmt: skip
        self.stdout.write(f"Created project {project.pk}: {project.name}")
