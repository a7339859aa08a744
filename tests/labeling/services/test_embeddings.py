"""Embeddings computed once per item on real digits with the real EfficientNet-Lite0."""

import numpy as np
import pytest
from django.conf import settings

from labeling.exceptions import EmbeddingsMissingError, InvalidProjectError
from labeling.models import EmbeddingSet, Item
from labeling.readers import read_image_folder
from labeling.selectors.embeddings import embeddings_for_items
from labeling.services.cold_start import cold_start_order_by_typicality
from labeling.services.embeddings import embeddings_compute
from labeling.services.imports import items_import_images
from labeling.services.projects import project_create
from tests.conftest import write_digit_folder

pytestmark = pytest.mark.django_db

ENCODER = "efficientnet-lite0-112"


@pytest.fixture
def project(make_digits_project):
    return make_digits_project(per_class=6, eval_fraction=0.0, retrain_every=4, encoder=ENCODER)


def test_import_queues_embedding_on_commit_and_does_not_compute_it(make_digits_project,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks() as queued:
        project = make_digits_project(per_class=3, encoder=ENCODER)
    assert len(queued) == 2  # the task message and the planner's ANALYZE, both after the import commits
    assert not EmbeddingSet.objects.filter(project=project).exists()  # nothing computed in the request


def test_every_item_is_embedded_once_with_progress(project):
    embedding_set = embeddings_compute(project=project, device="cpu")

    assert (embedding_set.status, embedding_set.done, embedding_set.total) == ("ready", 18, 18)
    ids = np.array(sorted(Item.objects.filter(project=project).values_list("id", flat=True)))
    vectors = embeddings_for_items(project=project, item_ids=ids[::-1])
    assert vectors.shape == (18, 1280)
    np.testing.assert_array_equal(vectors[::-1], embeddings_for_items(project=project, item_ids=ids))

    again = embeddings_compute(project=project, device="cpu")
    assert (again.generation, again.done, again.total) == (embedding_set.generation, 18, 18)  # nothing recomputed


def test_new_items_are_embedded_and_merged_and_old_files_removed(project, tmp_path):
    first = embeddings_compute(project=project, device="cpu")
    old_files = [first.ids_name, first.vectors_name]
    first_ids = np.array(sorted(project.items.values_list("id", flat=True)))
    before = embeddings_for_items(project=project, item_ids=first_ids)
    items_import_images(project=project, records=read_image_folder(write_digit_folder(tmp_path / "more", 2)))

    second = embeddings_compute(project=project, device="cpu")

    assert (second.done, second.total, second.n_items) == (24, 24, 24)  # the 6 new images merged into the 18
    ids = np.array(sorted(project.items.values_list("id", flat=True)))
    np.testing.assert_array_equal(embeddings_for_items(project=project, item_ids=ids[:18]), before)
    assert not any((settings.ARTIFACT_ROOT / name).exists() for name in old_files)


def test_items_without_embeddings_are_named(project):
    with pytest.raises(EmbeddingsMissingError, match="no 'efficientnet-lite0-112' embeddings yet"):
        embeddings_for_items(project=project, item_ids=np.array([1]))


def test_cold_start_puts_typical_items_first(project):
    embeddings_compute(project=project, device="cpu")

    chosen = cold_start_order_by_typicality(project=project)

    first = list(Item.objects.filter(project=project).order_by("cold_rank").values_list("id", flat=True)[:4])
    assert first == chosen and len(set(chosen)) == 4
    classes = set(Item.objects.filter(id__in=chosen).values_list("gold_class__name", flat=True))
    assert len(classes) >= 2  # one per cluster, not four copies of one digit
    ranks = list(Item.objects.filter(project=project).values_list("cold_rank", flat=True))
    assert len(set(ranks)) == len(ranks)  # still one place per item


@pytest.mark.parametrize(("encoder", "message"), [("minilm-l6", "embeds texts"), ("resnet", "Unknown encoder")])
def test_an_encoder_must_exist_and_fit_the_modality(encoder, message):
    with pytest.raises(InvalidProjectError, match=message):
        project_create(name="p", modality="image", class_names=["a", "b"], encoder=encoder)


def test_a_chunked_embedding_keeps_progress_over_the_whole_set_and_ends_ready(project):
    steps = []
    for _ in range(4):
        embedding_set = embeddings_compute(project=project, device="cpu", limit=5)
        steps.append((embedding_set.status, embedding_set.done, embedding_set.total, embedding_set.n_items))
        if embedding_set.status == "ready":
            break

    assert steps == [("computing", 5, 18, 5), ("computing", 10, 18, 10), ("computing", 15, 18, 15),
                     ("ready", 18, 18, 18)]  # fmt: skip
    ids = np.array(sorted(Item.objects.filter(project=project).values_list("id", flat=True)))
    chunked = embeddings_for_items(project=project, item_ids=ids)
    EmbeddingSet.objects.filter(project=project).delete()
    whole = embeddings_compute(project=project, device="cpu")  # the same items in one pass
    np.testing.assert_allclose(chunked, embeddings_for_items(project=project, item_ids=ids), atol=1e-5)
    assert whole.n_items == 18
