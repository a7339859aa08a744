"""Strategy replay on real digits, run in-process (the API and worker paths are in api/test_replays)."""

import pytest

from labeling.artifacts import bytes_load
from labeling.exceptions import InvalidReplayError, ReplayAlreadyActiveError
from labeling.models import Item, ItemScore, Label, ModelVersion, StrategyReplay
from labeling.services.replays import replay_claim, replay_request, replay_run
from labeling.tasks import model_version_train, strategy_replay_task
from tests.labeling.helpers import label_in_cold_order, label_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(make_digits_project, annotator):
    project = make_digits_project(per_class=30, retrain_every=10, eval_fraction=0.3)  # 63 pool, 27 eval items
    label_in_cold_order(project, annotator, 40)
    return project


def test_replay_ranks_strategies_on_the_labels_and_leaves_the_live_ranking_alone(
    project, admin_user, django_capture_on_commit_callbacks
):
    model_version_train(ModelVersion.objects.get(project=project).pk)  # the live model and its ranking
    live_scores = list(ItemScore.objects.filter(model_version__project=project).values_list("item_id", "rank", "score"))
    versions = list(ModelVersion.objects.filter(project=project).values_list("pk", "status", "ranking_name"))
    assert live_scores

    with django_capture_on_commit_callbacks(execute=False) as sent:
        replay = replay_request(project=project, requested_by=admin_user, strategies=["margin", "coreset"], seeds=2)
    strategy_replay_task(replay.pk)  # what the worker runs once the request commits

    replay.refresh_from_db()
    assert len(sent) == 1 and replay.status == StrategyReplay.Status.DONE, replay.error
    assert (replay.runs_done, replay.runs_total) == (6, 6)  # (random, margin, coreset) x 2 seeds
    result = replay.result
    assert result["labels"] == 40 and result["test_source"] == "the project's 27 evaluation items"
    names = {s["name"] for s in result["summaries"]}
    assert names == {"random", "margin", "coreset"}
    # 40 labels are too few to recommend from, and the replay says so instead of guessing.
    assert result["recommendation"]["strategy"] is None
    assert result["recommendation"]["reason"].startswith("Too few labels to tell: the curves reach 40 labels")
    assert len(result["curves"]) == 6 and all(c["labels"][-1] == 40 for c in result["curves"])
    assert 0.8 < result["full_pool_accuracy"] <= 1.0  # 40 labels of three digit classes
    svg = bytes_load(replay.plot_name)
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    # Nothing of the live loop moved: same versions, same ranking rows, no new retrain queued.
    assert list(ModelVersion.objects.filter(project=project).values_list("pk", "status", "ranking_name")) == versions
    assert list(ItemScore.objects.filter(model_version__project=project).values_list(
        "item_id", "rank", "score")) == live_scores  # fmt: skip


def test_without_enough_evaluation_items_a_quarter_of_the_labels_is_held_out(
    make_digits_project, annotator, admin_user
):
    project = make_digits_project(per_class=20, retrain_every=5, eval_fraction=0.0)
    label_in_cold_order(project, annotator, 40)
    replay = replay_request(project=project, requested_by=admin_user, strategies=["entropy"], seeds=1)
    replay = replay_run(replay=replay_claim(replay_id=replay.pk), device="cpu")

    assert replay.status == StrategyReplay.Status.DONE
    held_out = 9  # a quarter of each class's labels, rounded down: 13 // 4 + 13 // 4 + 14 // 4
    assert replay.result["test_items"] == held_out and replay.result["labels"] == 40 - held_out
    assert "held out" in replay.result["test_source"]


def test_a_second_replay_while_one_is_queued_is_refused(project, admin_user):
    replay_request(project=project, requested_by=admin_user, seeds=1)
    with pytest.raises(ReplayAlreadyActiveError, match="already queued or running"):
        replay_request(project=project, requested_by=admin_user, seeds=1)
    assert StrategyReplay.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategies": ["margin", "oracle"]}, r"Unknown strategies \['oracle'\]"),
        ({"seeds": 0}, "1 <= seeds <= 10"),
        ({"batch_size": 30}, r"at least two batches \(60\); project 'digits' has 40 labels of 3 classes"),
    ],
)
def test_a_bad_request_is_refused_before_anything_is_queued(project, admin_user, kwargs, message):
    with pytest.raises(InvalidReplayError, match=message):
        replay_request(project=project, requested_by=admin_user, **kwargs)
    assert not StrategyReplay.objects.exists()


def test_labels_of_one_class_cannot_be_replayed(make_digits_project, annotator, admin_user):
    project = make_digits_project(per_class=20, retrain_every=1000)
    for item in Item.objects.filter(project=project, split="pool", gold_class__name="1")[:10]:
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name="1")
    with pytest.raises(InvalidReplayError, match="10 labels of 1 classes"):
        replay_request(project=project, requested_by=admin_user, batch_size=2)


def test_a_replay_that_fails_records_why_and_frees_the_project(project, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        replay = replay_request(project=project, requested_by=admin_user, strategies=["margin"], seeds=1)
    Label.objects.filter(item__project=project).delete()  # the labels are gone before the worker gets to it

    strategy_replay_task(replay.pk)

    replay.refresh_from_db()
    assert replay.status == StrategyReplay.Status.FAILED
    assert "LearnerError" in replay.error and "budget=0" in replay.error
    assert not StrategyReplay.objects.filter(status__in=StrategyReplay.ACTIVE_STATUSES).exists()


def test_the_sweep_frees_a_project_whose_replay_lost_its_worker(project, admin_user,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    from datetime import timedelta

    from django.utils import timezone

    from labeling.services.replays import replay_sweep

    with django_capture_on_commit_callbacks(execute=False):
        lost = replay_request(project=project, requested_by=admin_user, seeds=1)
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    StrategyReplay.objects.filter(pk=lost.pk).update(status="running", heartbeat_at=five_minutes_ago)

    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert replay_sweep(stale_after=timedelta(minutes=2)) == [lost.pk]
    lost.refresh_from_db()
    assert lost.status == "failed" and "worker was lost" in lost.error and sent == []

    with django_capture_on_commit_callbacks(execute=False):  # the project is free again
        again = replay_request(project=project, requested_by=admin_user, seeds=1)
    StrategyReplay.objects.filter(pk=again.pk).update(heartbeat_at=five_minutes_ago)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert replay_sweep(stale_after=timedelta(minutes=2)) == []
    again.refresh_from_db()
    assert again.status == "queued" and len(sent) == 1  # its message was lost: sent once more
    with django_capture_on_commit_callbacks(execute=False) as sent:
        replay_sweep(stale_after=timedelta(minutes=2))
    assert sent == []  # and not again within the window


@pytest.mark.django_db(transaction=True)  # the heartbeat thread has a connection of its own
def test_a_running_replay_beats_while_it_works(project, admin_user):
    import time

    from labeling.services.runs import run_heartbeat

    replay = StrategyReplay.objects.create(
        project=project, strategies=["margin"], batch_size=10, seeds=1, status="running"
    )  # not requested: nothing goes to the broker
    with run_heartbeat(StrategyReplay, pk=replay.pk, every_seconds=0.05):
        first = StrategyReplay.objects.get(pk=replay.pk).heartbeat_at
        time.sleep(0.3)
        later = StrategyReplay.objects.get(pk=replay.pk).heartbeat_at
    assert first is not None and later > first
