import random

from django.db import models

from labeling.models.projects import LabelClass, Project


def item_image_path(item: "Item", filename: str) -> str:
    return f"projects/{item.project_id}/items/{filename}"


class Item(models.Model):
    """A thing to label: an image file or a text.

    Items in the `eval` split carry a gold label and are never served for labeling, so model
    accuracy is measured on items the query strategy did not choose. A project without them
    measures on audit items instead: pool items drawn uniformly at random when served, whose
    labels measure the model and are never trained on.
    """

    class Split(models.TextChoices):
        POOL = "pool", "Pool"
        EVAL = "eval", "Evaluation"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    split = models.CharField(max_length=4, choices=Split.choices, default=Split.POOL)
    image = models.ImageField(upload_to=item_image_path, blank=True)
    text = models.TextField(blank=True)
    source_name = models.CharField(max_length=500, help_text="File name or row id at import.")
    gold_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cold_rank = models.PositiveIntegerField(help_text="Seeded random order used before any model.")
    draw_key = models.FloatField(
        default=random.random,
        help_text="Uniform in [0, 1), fixed at creation: an audit item is the first free one from a random key on.",
    )
    audit = models.BooleanField(
        default=False, help_text="Served as an audit item: drawn at random, never trained on; its label measures."
    )
    gold = models.BooleanField(
        default=False,
        help_text="A gold item: its known answer (gold_class) checks annotators; mixed into queues at the "
        "project's gold_rate, answered once per annotator, never counted as a label.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        indexes = [
            models.Index(fields=["project", "split", "cold_rank"]),
            # Audit draws: the first free pool item from a random draw_key on (serving.uniform_free_item).
            models.Index(fields=["project", "split", "draw_key", "id"], name="item_pool_by_draw_key"),
            # Serving asks on every top-up whether a project has gold items; most have none.
            models.Index(fields=["project"], condition=models.Q(gold=True), name="item_gold_per_project"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(split="eval") | models.Q(gold_class__isnull=False),
                name="item_eval_has_gold",
            ),
            models.CheckConstraint(
                condition=~models.Q(gold=True) | models.Q(gold_class__isnull=False, split="pool"),
                name="item_gold_is_pool_with_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.source_name}"
