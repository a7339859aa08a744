from django.db import models

from labeling.models.projects import Project
from labeling.models.runs import BackgroundRun


class EmbeddingSet(models.Model):
    """A project's items embedded by one pretrained encoder, stored as arrays in the artifact store.

    The vectors (n, dim) float32 and their item ids (n,) int64, sorted by id, are two .npy
    artifacts, not one database row per item, so a 1M-item project is two files. Each
    recomputation writes new files under new names and switches this row to them in one update;
    readers see the old pair or the new one. Only items not yet embedded are computed, and only
    again when the project's encoder changes (a new set for the new encoder). Projects with
    contrastive adaptation also get one set per augmented view of their pool items (`view` >= 1),
    computed the same way, once per item. Projects that fine-tune the last encoder block also get
    their prefix maps (the block's input, flattened) as a set whose `encoder` is the encoder's
    name + "+prefix" (`labeling.selectors.embeddings.prefix_set_name`).
    """

    class Status(models.TextChoices):
        COMPUTING = "computing", "Computing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="embedding_sets")
    encoder = models.CharField(max_length=50)
    view = models.PositiveSmallIntegerField(
        default=0, help_text="0: the items as they are; k >= 1: their k-th seeded augmented view (for adaptation)."
    )
    dim = models.PositiveIntegerField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.COMPUTING)
    done = models.PositiveIntegerField(default=0, help_text="Items embedded so far (progress).")
    total = models.PositiveIntegerField(default=0, help_text="Items to embed in this pass.")
    vectors_name = models.CharField(max_length=300, blank=True)
    ids_name = models.CharField(max_length=300, blank=True)
    n_items = models.PositiveIntegerField(default=0, help_text="Rows in the stored arrays.")
    generation = models.PositiveIntegerField(default=0, help_text="Bumped at every switch to new files.")
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "encoder", "view"], name="embedding_set_unique_encoder_view")
        ]

    def __str__(self) -> str:
        view = f" view {self.view}" if self.view else ""
        return f"{self.project} / {self.encoder}{view} ({self.status}, {self.n_items} items)"


class EmbeddingRun(BackgroundRun):
    """One pass of the embedding task over a project's new items, a chunk per claim.

    The row the task claims, so a redelivered message (a worker killed by an item it cannot
    embed) finds it `running` and does nothing; the sweep then redoes it until `attempts` reaches
    the limit and fails it with the reason. After each chunk it goes back to `queued` with its
    attempts cleared (the chunk finished, so that worker was sound). At most one is queued per
    project: new imports while one waits are embedded by it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="embedding_runs")

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(status="queued"), name="embedding_run_one_queued_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} embedding run {self.pk} ({self.status})"
