from django.conf import settings
from django.db import models

from labeling.models.items import Item
from labeling.models.projects import LabelClass


class Label(models.Model):
    """One annotator's answer for one item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="labels")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="labels")
    label_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="labels")
    duration_ms = models.PositiveIntegerField(default=0, help_text="Time the annotator spent.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="label_one_per_annotator"),
        ]


class Assignment(models.Model):
    """An item handed to an annotator; at most one open assignment per item, so two
    annotators working at once never get the same item."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        EXPIRED = "expired", "Expired"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.OPEN)
    model_version = models.ForeignKey(
        "labeling.ModelVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        help_text="The ranking the item came from; empty for the cold-start order.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(status="open"), name="assignment_one_open_per_item"
            ),
        ]
