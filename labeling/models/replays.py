from django.conf import settings
from django.db import models

from labeling.models.projects import Project
from labeling.models.runs import BackgroundRun


class StrategyReplay(BackgroundRun):
    """Which strategy would have saved the most labels on what we have labeled so far?

    A background simulation over the project's labeled items (learner.simulation): each
    strategy replays the labeling from scratch with the known labels as the annotator. It reads
    labels and embeddings only; the live model, ranking and queue never change. A replay whose
    worker died is failed by the sweep, not redone: it is advice, and staff can start another.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="replays")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    strategies = models.JSONField(help_text="Strategy names to replay; random always runs as the baseline.")
    batch_size = models.PositiveIntegerField()
    seeds = models.PositiveSmallIntegerField()
    runs_done = models.PositiveIntegerField(default=0)
    runs_total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True, help_text="Summary per strategy, every curve, the advice.")
    plot_name = models.CharField(max_length=300, blank=True, help_text="SVG of the curves in labeling.artifacts.")

    class Meta:
        ordering = ["project", "-created_at"]
        get_latest_by = "created_at"
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status__in=["queued", "running"]),
                name="strategy_replay_one_active_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} replay {self.pk} ({self.status})"
