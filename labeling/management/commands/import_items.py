from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from labeling.management.commands._helpers import cli_errors, project_by_name_or_id
from labeling.readers import read_image_folder, read_text_file
from labeling.services.imports import items_import_images, items_import_texts


class Command(BaseCommand):
    help = "Import images (a flat folder, or one sub-folder per class) or texts (CSV/JSONL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="Project name or id.")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--images", type=Path, help="Folder of images.")
        source.add_argument("--texts", type=Path, help="CSV or JSONL file of texts.")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="label")
        parser.add_argument(
            "--eval-fraction", type=float, default=0.0,
            help="Share of items with a known class held out to measure accuracy (never shown).",
        )  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        project = project_by_name_or_id(opts["project"])
        with cli_errors():
            if opts["images"]:
                records = read_image_folder(opts["images"])
                summary = items_import_images(project=project, records=records, eval_fraction=opts["eval_fraction"])
            else:
                texts = read_text_file(
                    opts["texts"], text_column=opts["text_column"], label_column=opts["label_column"]
                )
                summary = items_import_texts(project=project, records=texts, eval_fraction=opts["eval_fraction"])
        self.stdout.write(f"Imported {summary.pool} pool and {summary.eval} evaluation items into {project.name}.")
