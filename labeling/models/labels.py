from django.conf import settings
from django.db import models

from labeling.models.items import Item
from labeling.models.projects import LabelClass


class Label(models.Model):
    """One annotator's current answer for one item; training and exports read this.

    Every change, the first answer included, is also written to LabelChange, so no answer is
    ever lost when an annotator corrects themselves.
    """

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


class ReviewDecision(models.Model):
    """A reviewer's final class for an item whose labels the project's policy could not resolve
    (or, under the adjudicated policy, for every item). It overrides the annotators' labels."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="review_decision")
    label_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_decisions")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class ReviewChange(models.Model):
    """History of reviewers' decisions: every decision and every change of one, with the class it
    replaced, so a reversed decision is never lost."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="review_changes")
    label_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    previous_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class LabelChange(models.Model):
    """History of an answer: who set it to what, when, and what it was before.

    `label_class` is empty when the answer was withdrawn (undo, or turned into a skip).
    `idempotency_key` is the page's key for one keypress, so a retried request is applied once.
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="label_changes")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    label_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    previous_class = models.ForeignKey(LabelClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["item", "annotator"])]


class Skip(models.Model):
    """An item an annotator chose not to answer, and why. Skipped items are never trained on.

    "unsure" items go to another annotator; "bad" items are out of the queue for everyone.
    """

    class Reason(models.TextChoices):
        UNSURE = "unsure", "Unsure"
        BAD = "bad", "Bad item"
        NOTE = "note", "Note"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="skips")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="skips")
    reason = models.CharField(max_length=6, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="skip_one_per_annotator"),
            models.CheckConstraint(condition=~models.Q(reason="note") | ~models.Q(note=""), name="skip_note_has_text"),
        ]


class Assignment(models.Model):
    """An item leased to an annotator until `expires_at`; at most one open assignment per item and
    annotator. An item's labels plus its open leases never exceed the project's labels_per_item
    (labeling.services.assignments checks it under a lock on the item's row), so with the default
    of 1 two annotators working at once never get the same item. An expired lease goes back to the
    pool; the page renews its leases whenever it fetches its queue."""

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
    expires_at = models.DateTimeField(null=True, help_text="End of the lease; renewed while the page is open.")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "annotator"], condition=models.Q(status="open"), name="assignment_one_open_per_holder"
            ),
        ]
        indexes = [models.Index(fields=["annotator", "status"])]
