from django.db import models

from labeling.models.projects import Project


class EmbeddingSet(models.Model):
    """A project's items embedded by one pretrained encoder, stored as arrays in the artifact store.

    The vectors (n, dim) float32 and their item ids (n,) int64, sorted by id, are two .npy
    artifacts, not one database row per item, so a 1M-item project is two files. Each
    recomputation writes new files under new names and switches this row to them in one update;
    readers see the old pair or the new one. Only items not yet embedded are computed, and only
    again when the project's encoder changes (a new set for the new encoder).
    """

    class Status(models.TextChoices):
        COMPUTING = "computing", "Computing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="embedding_sets")
    encoder = models.CharField(max_length=50)
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
        constraints = [models.UniqueConstraint(fields=["project", "encoder"], name="embedding_set_unique_encoder")]

    def __str__(self) -> str:
        return f"{self.project} / {self.encoder} ({self.status}, {self.n_items} items)"
