"""Fine-tuning the last encoder block in the retrain workflow, on real digits, on the CPU."""

import numpy as np
import pytest

from labeling.artifacts import bytes_load
from labeling.exceptions import InvalidProjectError
from labeling.models import EmbeddingSet, ModelVersion, Project
from labeling.selectors.embeddings import embeddings_for_items
from labeling.services.projects import project_create
from labeling.tasks import embeddings_compute_task
from learner.finetune import LastBlockClassifier
from tests.labeling.helpers import label_unlabeled, train_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def digits(make_digits_project):
    return make_digits_project(per_class=6, retrain_every=1000, encoder="efficientnet-lite0-112",
                               finetune_last_block=True)  # fmt: skip


def test_the_embedding_task_stores_prefix_maps_beside_the_embeddings(digits):
    embeddings_compute_task(digits.pk)

    sets = {s.encoder: s for s in EmbeddingSet.objects.filter(project=digits)}
    assert sorted(sets) == ["efficientnet-lite0-112", "efficientnet-lite0-112+prefix"]
    prefix = sets["efficientnet-lite0-112+prefix"]
    assert (prefix.status, prefix.n_items, prefix.dim) == ("ready", 18, 192 * 3 * 3)
    ids = np.array(sorted(digits.items.values_list("id", flat=True)))
    assert embeddings_for_items(project=digits, item_ids=ids, prefix=True).shape == (18, 1728)


def test_a_finetuning_project_trains_the_last_block_and_records_it(digits, annotator):
    label_unlabeled(digits, annotator, 9)

    version = train_now(digits)

    assert version.status == ModelVersion.Status.DONE, version.error
    finetune = version.metrics["finetune"]
    assert finetune["enabled"] is True and finetune["prefix_dim"] == 1728
    assert finetune["trained"][0] == "last MBConv block" and finetune["block_lr"] == 1e-4
    assert finetune["epochs"] == version.metrics["epochs_trained"] >= 1
    model = LastBlockClassifier.from_bytes(bytes_load(version.artifact_path), device="cpu")
    assert model.n_features_in_ == 1728 and set(model.classes_) == {"0", "1"}  # the first 9 pool items by id
    assert version.metrics["eval_accuracy"] is not None and version.ranking_name


def test_committee_strategies_keep_the_frozen_embeddings_and_say_so(digits, annotator):
    Project.objects.filter(pk=digits.pk).update(strategy="vote_entropy")
    digits.refresh_from_db()
    label_unlabeled(digits, annotator, 9)

    version = train_now(digits)

    assert version.status == ModelVersion.Status.DONE, version.error
    assert version.metrics["finetune"] == {"enabled": False, "reason": "committee strategy: frozen embeddings"}


def test_projects_without_the_option_record_it_off(make_digits_project, annotator):
    project = make_digits_project(per_class=4, retrain_every=1000, encoder="efficientnet-lite0-112")
    label_unlabeled(project, annotator, 6)

    version = train_now(project)

    assert version.metrics["finetune"] == {"enabled": False, "reason": "off"}
    assert not EmbeddingSet.objects.filter(project=project, encoder__endswith="+prefix").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"modality": "text", "encoder": "minilm-l6"},
         "finetune_last_block: Fine-tuning the last block needs an image encoder with one "
         "(efficientnet-lite0, efficientnet-lite0-112); the project's is 'minilm-l6'."),
        ({"modality": "image", "encoder": ""},
         "finetune_last_block: Fine-tuning the last block needs an image encoder with one "
         "(efficientnet-lite0, efficientnet-lite0-112); the project's is 'none'."),
        ({"modality": "image", "encoder": "efficientnet-lite0", "adaptation": "contrastive"},
         "finetune_last_block: Choose fine-tuning or contrastive adaptation, not both."),
    ],
)  # fmt: skip
def test_a_bad_finetune_option_is_refused_naming_the_field(options, message):
    with pytest.raises(InvalidProjectError) as raised:
        project_create(name="p", class_names=["a", "b"], finetune_last_block=True, **options)
    assert str(raised.value) == f"Invalid project 'p': {message}"
    assert raised.value.status_code == 400
    assert not Project.objects.exists()
