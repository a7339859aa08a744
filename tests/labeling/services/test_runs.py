from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import EmbeddingRun, EmbeddingSet, ModelVersion, StrategyReplay
from labeling.services.embedding_runs import (
    embedding_run_claim,
    embedding_run_continue,
    embedding_run_request,
    embedding_run_sweep,
)
from labeling.services.runs import ERROR_MAX_CHARS, error_text, run_claim, run_fail, run_sweep
from labeling.tasks import embeddings_compute_task

pytestmark = pytest.mark.django_db


def test_a_short_error_is_kept_whole_with_its_type():
    assert error_text(ValueError("bad pixel")) == "ValueError: bad pixel"


def test_a_long_error_keeps_its_head_and_tail_and_says_what_was_cut():
    text = error_text("HEAD" + "x" * 10_000 + "TAIL")

    assert len(text) <= ERROR_MAX_CHARS
    assert text.startswith("HEAD") and text.endswith("TAIL") and "characters cut" in text


@pytest.mark.parametrize("model", [ModelVersion, StrategyReplay, EmbeddingRun])
def test_every_kind_of_run_fails_under_the_same_rule(make_digits_project, model):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")
    fields = {"number": 1, "strategy": "entropy"} if model is ModelVersion else {}
    if model is StrategyReplay:
        fields = {"strategies": ["margin"], "batch_size": 5, "seeds": 1}
    EmbeddingRun.objects.filter(project=project).delete()  # the import's own run
    run = model.objects.create(project=project, **fields)

    assert run_claim(model, pk=run.pk).attempts == 1
    assert run_claim(model, pk=run.pk) is None  # a second delivery of the same message
    assert run_fail(model, pk=run.pk, error=RuntimeError("y" * 9000))

    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("RuntimeError: yyy") and len(run.error) <= ERROR_MAX_CHARS
    assert not run_fail(model, pk=run.pk, error="later")  # the first reason stays


def test_the_import_queues_one_embedding_run_and_a_second_request_adds_none(make_digits_project):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")

    assert embedding_run_request(project=project) == EmbeddingRun.objects.get(project=project)

    assert list(EmbeddingRun.objects.filter(project=project).values_list("status", flat=True)) == ["queued"]


def test_a_redelivered_embedding_message_does_nothing_while_its_run_runs(make_digits_project):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")
    run = embedding_run_claim(project_id=project.pk)  # the first delivery, whose worker then dies

    embeddings_compute_task(project.pk)  # the broker delivers the message again

    run.refresh_from_db()
    assert run.status == "running" and run.attempts == 1
    assert not EmbeddingSet.objects.filter(project=project, status="ready").exists()


def test_an_embedding_run_that_keeps_losing_its_worker_fails_with_the_reason(
    make_digits_project, django_capture_on_commit_callbacks
):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")
    run = EmbeddingRun.objects.get(project=project)
    EmbeddingRun.objects.filter(pk=run.pk).update(
        status="running", attempts=3, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    EmbeddingSet.objects.create(project=project, encoder="efficientnet-lite0-112", dim=1280, status="computing")

    with django_capture_on_commit_callbacks() as sent:
        result = embedding_run_sweep(stale_after=timedelta(minutes=2), max_attempts=3)

    run.refresh_from_db()
    assert result.failed == [run.pk] and sent == []
    assert run.status == "failed" and "lost 3 times" in run.error
    assert EmbeddingSet.objects.get(project=project).status == "failed"  # the dashboard says why


def test_a_chunk_done_sends_the_run_to_the_back_of_the_queue_with_its_attempts_cleared(
    make_digits_project, django_capture_on_commit_callbacks
):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")
    run = embedding_run_claim(project_id=project.pk)

    with django_capture_on_commit_callbacks() as sent:
        embedding_run_continue(run=run)

    run.refresh_from_db()
    assert (run.status, run.attempts, len(sent)) == ("queued", 0, 1)


def test_the_sweep_leaves_a_beating_run_alone(make_digits_project, django_capture_on_commit_callbacks):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")
    run = embedding_run_claim(project_id=project.pk)

    with django_capture_on_commit_callbacks() as sent:
        result = run_sweep(EmbeddingRun, stale_after=timedelta(minutes=2), max_attempts=3, send=lambda r: None,
                           give_up_hint="")  # fmt: skip

    run.refresh_from_db()
    assert run.status == "running" and result.requeued == result.failed == [] and sent == []
