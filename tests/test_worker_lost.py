"""A worker SIGKILLed in the middle of a retrain: the run is redone, and one version results.

The killed worker cannot mark anything; its heartbeat just stops. The sweep (run here at once,
as celery beat would after RETRAIN_STALE_AFTER_SECONDS) puts the run back in the queue, and
the session's worker redoes it from the database row.
"""

import os
import signal
import time
from datetime import timedelta

import pytest

from labeling.models import Item, ItemScore, ModelVersion
from labeling.services.training import model_version_sweep
from labeling.tasks import model_version_train
from tests.labeling.helpers import label_item
from tests.worker import purge_queues, start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DOOMED_QUEUE = "doomed"  # only the worker we kill listens here, so it is the one that gets the run


def _wait_for_status(version: ModelVersion, statuses: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version.refresh_from_db()
        if version.status in statuses:
            return version.status
        time.sleep(0.01)
    pytest.fail(f"Model version {version.pk} stayed {version.status!r} for {timeout} s, wanted {statuses}")


def test_a_worker_killed_mid_train_has_its_run_redone_once(
    celery_worker, make_digits_project, annotator, _isolated_files
):
    project = make_digits_project(per_class=60, retrain_every=1000, name="killed", strategy="coreset")
    pool = Item.objects.filter(project=project, split="pool").select_related("gold_class").order_by("cold_rank")
    for item in pool[:30]:
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=item.gold_class.name)
    version = ModelVersion.objects.create(project=project, number=1, strategy="coreset", labels_used=30)
    purge_queues((DOOMED_QUEUE,))
    doomed = start_worker(_isolated_files / "doomed-worker.log", queues=(DOOMED_QUEUE,), name="doomed")
    try:
        model_version_train.apply_async((version.pk,), queue=DOOMED_QUEUE)
        _wait_for_status(version, {ModelVersion.Status.RUNNING}, timeout=60)
        os.kill(doomed.pid, signal.SIGKILL)  # mid-train: no chance to mark anything
        doomed.wait(timeout=10)
    finally:
        stop_worker(doomed)
    version.refresh_from_db()
    assert version.status == ModelVersion.Status.RUNNING and version.attempts == 1  # killed before it finished
    assert not ItemScore.objects.filter(model_version=version).exists()  # nothing half-published

    swept = model_version_sweep(stale_after=timedelta(0), max_attempts=3)  # the session worker redoes it

    assert swept.requeued == [version.pk]
    assert _wait_for_status(version, {ModelVersion.Status.DONE, ModelVersion.Status.FAILED}, 120) == "done"
    assert version.attempts == 2
    assert ModelVersion.objects.filter(project=project).count() == 1
    unlabeled = Item.objects.filter(project=project, split="pool", labels__isnull=True).count()
    assert ItemScore.objects.filter(model_version=version).count() == unlabeled
