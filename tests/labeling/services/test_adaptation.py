"""Contrastive adaptation in the retrain workflow, on real digits and texts, on the CPU."""

import numpy as np
import pytest
from django.conf import settings

from labeling.artifacts import bytes_load
from labeling.models import EmbeddingSet, ModelVersion
from labeling.readers import TextRecord
from labeling.services.imports import items_import_texts
from labeling.services.projects import project_create, project_member_add
from labeling.tasks import embeddings_compute_task
from learner.models.softmax import SoftmaxClassifier
from tests.labeling.helpers import label_unlabeled, train_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def digits(make_digits_project):
    return make_digits_project(per_class=10, retrain_every=1000, encoder="efficientnet-lite0-112",
                               adaptation="contrastive")  # fmt: skip


def test_the_embedding_task_embeds_augmented_views_of_pool_images_only(digits):
    embeddings_compute_task(digits.pk)

    sets = {s.view: s for s in EmbeddingSet.objects.filter(project=digits)}
    assert sorted(sets) == [0, 1, 2]
    assert sets[0].n_items == 30 and sets[1].n_items == sets[2].n_items == 24  # evaluation images get no views
    assert {s.status for s in sets.values()} == {"ready"}


def test_a_contrastive_project_trains_on_adapted_embeddings_and_records_it(digits, annotator):
    label_unlabeled(digits, annotator, 9)

    version = train_now(digits)

    assert version.status == ModelVersion.Status.DONE, version.error
    adaptation = version.metrics["adaptation"]
    assert adaptation["method"] == "contrastive"
    assert (adaptation["views"], adaptation["pool_items"], adaptation["output_dim"]) == (3, 24, 512)
    assert adaptation["config"]["representation"] == "hidden" and adaptation["loss_last_epoch"] is not None
    stored = [settings.ARTIFACT_ROOT / f"{adaptation['artifact']}-{key}.npy" for key in adaptation["arrays"]]
    assert stored and all(path.exists() for path in stored)
    model = SoftmaxClassifier.from_bytes(bytes_load(version.artifact_path))
    assert model.n_features_in_ == 512  # the model reads adapted embeddings
    assert version.metrics["eval_accuracy"] is not None


def test_a_later_version_reuses_the_fit_while_the_pool_is_unchanged(digits, annotator):
    label_unlabeled(digits, annotator, 9)
    first = train_now(digits)
    label_unlabeled(digits, annotator, 6)

    second = train_now(digits)

    assert second.status == ModelVersion.Status.DONE, second.error
    assert first.metrics["adaptation"]["reused"] is False
    assert second.metrics["adaptation"] == {**first.metrics["adaptation"], "reused": True}  # labels never change it


def test_a_failed_run_leaves_no_stored_fit_behind(digits, annotator):
    label_unlabeled(digits, annotator, 6, only_class="1")  # one class only: the classifier cannot train

    version = train_now(digits)

    assert version.status == ModelVersion.Status.FAILED and "NotEnoughLabelsError" in version.error
    assert not list((settings.ARTIFACT_ROOT / f"project-{digits.pk}").glob("adaptation-*"))


def test_projects_without_adaptation_say_so_and_spend_nothing_on_views(make_digits_project, annotator):
    project = make_digits_project(per_class=5, retrain_every=1000, encoder="efficientnet-lite0-112")
    label_unlabeled(project, annotator, 6)

    version = train_now(project)

    assert version.metrics["adaptation"] == {"method": "none"}
    assert not EmbeddingSet.objects.filter(project=project, view__gt=0).exists()


def test_texts_adapt_from_embedding_noise_with_no_extra_encoder_pass(annotator):
    project = project_create(name="reviews", modality="text", class_names=["fresh", "rotten"], retrain_every=1000,
                             encoder="minilm-l6", adaptation="contrastive")  # fmt: skip
    texts = {"fresh": ["a delight", "warm and funny", "a triumph"], "rotten": ["dull", "a mess", "tedious"]}
    records = [TextRecord(f"{text}, take {n}", label, f"{label}-{i}-{n}")
               for label, group in texts.items() for i, text in enumerate(group) for n in range(3)]  # fmt: skip
    items_import_texts(project=project, records=records)
    project_member_add(project=project, user=annotator)
    label_unlabeled(project, annotator, 12)  # 9 fresh, 3 rotten

    version = train_now(project)

    assert version.status == ModelVersion.Status.DONE, version.error
    adaptation = version.metrics["adaptation"]
    assert adaptation["views"] == 1 and adaptation["config"]["feature_dropout"] > 0
    assert np.isfinite(adaptation["loss_last_epoch"])
    assert list(EmbeddingSet.objects.filter(project=project).values_list("view", flat=True)) == [0]
