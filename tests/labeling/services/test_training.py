import time
from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import ModelVersion
from labeling.services.runs import run_heartbeat
from labeling.services.training import model_version_claim, model_version_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(make_digits_project):
    return make_digits_project(per_class=5, retrain_every=1000)


def _version(project, *, status, beat_ago: timedelta | None, attempts: int = 0) -> ModelVersion:
    beat = timezone.now() - beat_ago if beat_ago is not None else None
    return ModelVersion.objects.create(project=project, number=1, strategy="entropy", status=status,
                                       heartbeat_at=beat, attempts=attempts)  # fmt: skip


def test_a_running_version_without_heartbeat_is_queued_and_sent_again(project, django_capture_on_commit_callbacks):
    version = _version(project, status=ModelVersion.Status.RUNNING, beat_ago=timedelta(minutes=5), attempts=1)

    with django_capture_on_commit_callbacks() as sent:
        result = model_version_sweep(stale_after=timedelta(minutes=2), max_attempts=3)

    version.refresh_from_db()
    assert (result.requeued, result.failed) == ([version.pk], [])
    assert version.status == ModelVersion.Status.QUEUED and len(sent) == 1
    assert model_version_claim(model_version_id=version.pk).attempts == 2  # the redo can claim it


def test_a_beating_run_is_left_alone(project, django_capture_on_commit_callbacks):
    version = _version(project, status=ModelVersion.Status.RUNNING, beat_ago=timedelta(seconds=5), attempts=1)

    with django_capture_on_commit_callbacks() as sent:
        result = model_version_sweep(stale_after=timedelta(minutes=2), max_attempts=3)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.RUNNING and result.requeued == [] and sent == []


def test_a_run_that_lost_its_worker_too_often_fails_with_the_reason(project, django_capture_on_commit_callbacks):
    version = _version(project, status=ModelVersion.Status.RUNNING, beat_ago=timedelta(minutes=5), attempts=3)

    with django_capture_on_commit_callbacks() as sent:
        result = model_version_sweep(stale_after=timedelta(minutes=2), max_attempts=3)

    version.refresh_from_db()
    assert result.failed == [version.pk] and sent == []
    assert version.status == ModelVersion.Status.FAILED and "lost 3 times" in version.error


def test_a_queued_run_whose_message_was_lost_is_sent_once_per_window(project, django_capture_on_commit_callbacks):
    version = _version(project, status=ModelVersion.Status.QUEUED, beat_ago=timedelta(minutes=5))

    with django_capture_on_commit_callbacks() as sent:
        first = model_version_sweep(stale_after=timedelta(minutes=2), max_attempts=3)
        second = model_version_sweep(stale_after=timedelta(minutes=2), max_attempts=3)

    assert first.requeued == [version.pk] and second.requeued == [] and len(sent) == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_stamping_while_the_work_runs(project):
    version = _version(project, status=ModelVersion.Status.RUNNING, beat_ago=timedelta(hours=1))
    stamps = []
    with run_heartbeat(ModelVersion, pk=version.pk, every_seconds=0.05):
        for _ in range(4):
            time.sleep(0.12)
            version.refresh_from_db()
            stamps.append(version.heartbeat_at)
    assert stamps[0] > timezone.now() - timedelta(seconds=5)
    assert len(set(stamps)) >= 3  # a new stamp every interval, not just one at the start
