"""The retrain task run in-process on real digits (the worker-process path is in test_loop)."""

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from labeling.artifacts import array_load, bytes_load
from labeling.models import EmbeddingSet, Item, ItemScore, ModelVersion
from labeling.services.training import model_version_request
from labeling.tasks import embeddings_compute_task, model_version_train
from learner.models.softmax import SoftmaxClassifier
from learner.ranking import STRATEGY_NAMES
from tests.labeling.helpers import label_in_cold_order, lose_the_row_while_training

pytestmark = pytest.mark.django_db


def test_train_publishes_a_ranking_of_every_unlabeled_item(make_digits_project, annotator):
    project = make_digits_project(per_class=40, retrain_every=10)
    label_in_cold_order(project, annotator, 30)  # the 10th label queued version 1; it trains on all 30
    version = ModelVersion.objects.get(project=project)

    model_version_train(version.pk)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.DONE, version.error
    unlabeled = Item.objects.filter(project=project, split="pool", labels__isnull=True)
    scores = list(ItemScore.objects.filter(model_version=version).order_by("rank").values_list("item_id", "score"))
    assert {item for item, _ in scores} == set(unlabeled.values_list("pk", flat=True))
    # The next batch (retrain_every items) is spread out over diverse_top_k's shortlist, the top
    # candidates x k = 10 x 10 scores, and starts with the top score; the rest follow by score.
    batch, rest = scores[:10], [score for _, score in scores[10:]]
    shortlist = sorted(scores, key=lambda row: -row[1])[:100]
    assert {item for item, _ in batch} <= {item for item, _ in shortlist}
    assert batch[0] == shortlist[0]
    assert rest == sorted(rest, reverse=True)
    assert version.labels_used == 30
    assert version.metrics["n_eval"] == 24 and version.metrics["eval_accuracy"] > 0.8
    model = SoftmaxClassifier.from_bytes(bytes_load(version.artifact_path))
    assert list(model.classes_) == ["0", "1", "2"]


def test_without_diverse_batches_the_ranking_is_by_score(make_digits_project, annotator):
    project = make_digits_project(per_class=20, retrain_every=1000, diverse_batches=False)
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)

    ranked = list(ItemScore.objects.filter(model_version=version).order_by("rank").values_list("score", flat=True))
    assert ranked == sorted(ranked, reverse=True)


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_every_strategy_can_drive_a_project(make_digits_project, annotator, strategy):
    project = make_digits_project(per_class=15, retrain_every=1000, strategy=strategy)
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)

    version.refresh_from_db()
    assert (version.status, version.strategy) == (ModelVersion.Status.DONE, strategy), version.error
    ranks = sorted(ItemScore.objects.filter(model_version=version).values_list("rank", flat=True))
    assert ranks == list(range(45 - 9 - 12))  # every unlabeled pool item, each rank once


def test_a_version_records_its_metric_and_the_majority_baseline(make_digits_project, annotator):
    project = make_digits_project(per_class=15, retrain_every=1000, strategy="margin")  # balanced classes
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)

    version.refresh_from_db()
    project.refresh_from_db()
    assert project.metric == "accuracy"  # automatic, fixed at the first retrain: the classes are balanced
    metrics = version.metrics
    assert metrics["metric"] == "accuracy" and metrics["eval_score"] == metrics["eval_accuracy"]
    assert 0 < metrics["majority_baseline"] < 0.5 < metrics["eval_score"]  # 3 classes: one of them right, at most
    assert metrics["below_majority_baseline"] is False
    assert metrics["class_weight"] in {"balanced", "none"}


def test_auto_carries_what_it_learned_from_version_to_version(make_digits_project, annotator):
    project = make_digits_project(per_class=20, retrain_every=1000, metric="macro_f1")
    assert project.strategy == "auto"  # the default for new projects
    label_in_cold_order(project, annotator, 12)
    project.retrain_every = 10  # the batch auto ranks for; set after labeling, so no retrain was queued meanwhile
    project.save(update_fields=["retrain_every"])
    first = model_version_request(project=project, force=True)
    model_version_train(first.pk)
    first.refresh_from_db()
    state = first.metrics["strategy_state"]
    assert state["rounds"] == 1 and sum(state["chosen"].values()) == 1 and len(state["reserve"]["ids"]) == 1
    assert state["leader"] == "badge"  # a tenth of the batch of 10 is audited; BADGE leads until evidence says not
    assert first.metrics["metric"] == "macro_f1"

    project.retrain_every = 1000
    project.save(update_fields=["retrain_every"])
    label_in_cold_order(project, annotator, 24)
    project.retrain_every = 10
    project.save(update_fields=["retrain_every"])
    second = model_version_request(project=project, force=True)
    model_version_train(second.pk)

    second.refresh_from_db()
    assert second.status == ModelVersion.Status.DONE, second.error
    assert second.metrics["strategy_state"]["rounds"] == 2  # started from the first version's state


def test_running_the_same_task_twice_makes_one_version(make_digits_project, annotator):
    project = make_digits_project(per_class=20, retrain_every=1000)
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)
    model_version_train(version.pk)

    assert ModelVersion.objects.filter(project=project).count() == 1
    assert ItemScore.objects.filter(model_version=version).count() == 60 - 12 - 12


def test_a_failed_run_says_why_and_writes_nothing(make_digits_project, annotator):
    project = make_digits_project(per_class=20, retrain_every=1000)
    label_in_cold_order(project, annotator, 10, only_class="1")  # one class only: nothing to learn
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.FAILED
    assert "NotEnoughLabelsError" in version.error
    assert not ItemScore.objects.filter(model_version=version).exists()
    assert version.artifact_path == ""
    assert not list((Path(settings.ARTIFACT_ROOT) / f"project-{project.pk}").glob("*"))


def test_a_run_that_cannot_publish_drops_its_model_and_ranking_files(make_digits_project, annotator, monkeypatch):
    project = make_digits_project(per_class=20, retrain_every=1000)
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    lose_the_row_while_training(monkeypatch, version)  # the sweep gave up on the run while it trained
    model_version_train(version.pk)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.FAILED and "worker was lost" in version.error  # the first reason stays
    assert not ItemScore.objects.filter(model_version=version).exists()
    assert not list((Path(settings.ARTIFACT_ROOT) / f"project-{project.pk}").glob("*"))  # model and ranking gone


def test_a_committee_strategy_chooses_with_the_project_committee_and_keeps_the_single_model(
    make_digits_project, annotator
):
    project = make_digits_project(per_class=20, retrain_every=1000, strategy="vote_entropy", committee_size=3)
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.DONE, version.error
    assert version.metrics["hyperparameters"]["members"] == 3
    assert 0 <= version.metrics["committee_eval_accuracy"] <= 1  # the committee's consensus, reported beside
    model = SoftmaxClassifier.from_bytes(bytes_load(version.artifact_path))  # every strategy: one classifier
    two_images = np.zeros((2, 28 * 28))  # images become 28 x 28 pixel features
    assert model.predict_proba(two_images).shape == (2, 3)


def test_embedding_task_embeds_and_orders_the_cold_start(make_digits_project):
    project = make_digits_project(per_class=5, retrain_every=3, encoder="efficientnet-lite0-112")

    embeddings_compute_task(project.pk)

    embedding_set = EmbeddingSet.objects.get(project=project)
    assert (embedding_set.status, embedding_set.n_items) == ("ready", 15)
    first = Item.objects.filter(project=project, split="pool").order_by("cold_rank")[:3]
    assert len({item.gold_class_id for item in first}) >= 2


def test_embedding_task_records_why_it_failed(make_digits_project):
    project = make_digits_project(per_class=3, encoder="efficientnet-lite0-112")
    broken = Item.objects.filter(project=project).first()
    broken.image.delete(save=False)  # the file vanished from storage after the import

    embeddings_compute_task(project.pk)

    embedding_set = EmbeddingSet.objects.get(project=project)
    assert embedding_set.status == "failed" and "FileNotFoundError" in embedding_set.error


def test_a_retrain_learns_from_the_pretrained_embeddings(make_digits_project, annotator):
    project = make_digits_project(per_class=20, retrain_every=1000, encoder="efficientnet-lite0-112")
    label_in_cold_order(project, annotator, 15)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)  # embeds what the import task has not, then trains on 1280-d features

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.DONE, version.error
    assert SoftmaxClassifier.from_bytes(bytes_load(version.artifact_path)).n_features_in_ == 1280
    assert version.metrics["eval_accuracy"] >= 0.75
    model = SoftmaxClassifier.from_bytes(bytes_load(version.artifact_path))
    assert version.metrics["encoder"] == "efficientnet-lite0-112"
    assert version.metrics["hyperparameters"] == {**asdict(model.config)}  # saved with the version
    assert version.metrics["epochs_trained"] == model.epochs_


def test_only_the_head_of_the_ranking_is_rows_and_the_whole_ranking_is_stored(
    make_digits_project, annotator, settings
):
    settings.RANKING_QUEUE_HEAD = 5
    project = make_digits_project(per_class=10, retrain_every=1000)
    label_in_cold_order(project, annotator, 6)
    first = model_version_request(project=project, force=True)
    model_version_train(first.pk)
    first.refresh_from_db()

    ids, scores = array_load(f"{first.ranking_name}-ids.npy"), array_load(f"{first.ranking_name}-scores.npy")
    unlabeled = Item.objects.filter(project=project, split="pool", labels__isnull=True)
    unlabeled = set(unlabeled.values_list("pk", flat=True))
    assert set(ids.tolist()) == unlabeled and len(ids) == len(scores) == 18
    head = list(ItemScore.objects.filter(model_version=first).order_by("rank").values_list("item_id", "rank"))
    assert head == [(int(item_id), rank) for rank, item_id in enumerate(ids[:5])]

    label_in_cold_order(project, annotator, 8)
    second = model_version_request(project=project, force=True)
    model_version_train(second.pk)

    assert not ItemScore.objects.filter(model_version=first).exists()  # only the serving version's head is kept
    assert ItemScore.objects.filter(model_version=second).count() == 5
