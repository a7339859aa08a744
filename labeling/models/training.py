from django.db import models

from labeling.models.items import Item
from labeling.models.projects import Project
from labeling.models.runs import BackgroundRun


class ModelVersion(BackgroundRun):
    """One retrain of a project's model and the ranking it produced.

    The row is the record of the run: it is created `queued`, claimed `running` by exactly one
    worker, and becomes `done` together with its scores in one transaction, or `failed` with
    the reason. At most one run per project is queued or running. A running row whose worker
    stops beating (killed, machine lost) is put back to `queued` by the periodic sweep.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    number = models.PositiveIntegerField()
    strategy = models.CharField(max_length=50)
    labels_used = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    artifact_path = models.CharField(max_length=500, blank=True)  # the model file's name in labeling.artifacts
    ranking_name = models.CharField(
        max_length=300, blank=True, help_text="Artifact stem of the whole ranking: <stem>-ids.npy, <stem>-scores.npy."
    )

    class Meta:
        ordering = ["project", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="model_version_unique_number"),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status__in=["queued", "running"]),
                name="model_version_one_active_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number} ({self.status})"


class ItemScore(models.Model):
    """An unlabeled item's place in the head of the serving ranking (rank 0 is asked first).

    Only the newest version's first RANKING_QUEUE_HEAD ranks are rows; the whole ranking of
    every version lives in the artifact store (ModelVersion.ranking_name).
    """

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="scores")
    score = models.FloatField()
    rank = models.PositiveIntegerField()
    top_classes = models.JSONField(
        default=list, blank=True, help_text="The model's most probable classes: [[name, probability], ...], best first."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_version", "item"], name="item_score_unique"),
        ]
        indexes = [models.Index(fields=["model_version", "rank"])]
