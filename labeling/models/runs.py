from django.db import models


class BackgroundRun(models.Model):
    """What every long job a worker does shares: a status, the error, and when it began, last
    showed life and ended.

    A row is created `queued`, claimed `running` by one worker with a conditional update, and
    ends `done` or `failed` with the reason. `heartbeat_at` is stamped while it runs; a periodic
    sweep acts on runs whose stamps stopped, and gives up after `attempts` claims. The lifecycle
    itself is one module, labeling.services.runs, for every kind of run.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(max_length=7, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life: queued, claimed, or beating while it runs."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed this run.")

    class Meta:
        abstract = True
