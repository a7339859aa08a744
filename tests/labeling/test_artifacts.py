"""The artifact store on local disk and in a real S3 server (moto, run as a separate process)."""

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from django.conf import settings as django_settings

from labeling.artifacts import array_load, array_save, artifact_delete, artifact_list, bytes_load, bytes_save
from labeling.models import EmbeddingSet, Item, ItemScore, ModelVersion
from labeling.selectors.embeddings import embeddings_for_items
from labeling.services.orphans import orphan_artifacts_sweep
from labeling.services.training import model_version_request
from labeling.tasks import model_version_train
from learner.models.softmax import SoftmaxClassifier
from tests.labeling.helpers import label_in_cold_order, lose_the_row_while_training


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a moto S3 server on a free local port, for this module's tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass(frozen=True)
class Bucket:
    name: str
    client: Any  # boto3 S3 client

    def keys(self) -> set[str]:
        return {obj["Key"] for obj in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path) -> Bucket:
    """A fresh bucket that STORAGES["artifacts"] points at; ARTIFACT_ROOT moves to an empty folder."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # boto3 reads these itself, as in production
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"tweezer-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    # Changing STORAGES fires setting_changed, whose handler empties Django's cache of storage backends.
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
                "addressing_style": "path", "location": "artifacts", "file_overwrite": False,
                "max_memory_size": 1024,  # small, so downloads of test arrays spool to disk as big ones do
            },
        },
    }  # fmt: skip
    return Bucket(name, client)


@pytest.fixture(params=["local", "s3"])
def store(request, settings, tmp_path) -> Bucket | None:
    """Each contract test runs on both backends: the S3 bucket, or None for an empty local ARTIFACT_ROOT."""
    if request.param == "s3":
        return request.getfixturevalue("bucket")
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    return None


def test_an_array_round_trips_byte_for_byte(store):
    array = (np.arange(24).reshape(2, 3, 4) / 7).astype(">f8")  # big-endian, 3-D: dtype and shape must survive

    array_save("project-1/x.npy", array)

    loaded = array_load("project-1/x.npy")
    assert (loaded.dtype, loaded.shape) == (np.dtype(">f8"), (2, 3, 4))
    assert loaded.tobytes() == array.tobytes()


def test_the_array_is_an_object_in_the_bucket_not_a_local_file(bucket):
    array = np.array([3, 1, 2], dtype=np.int64)

    array_save("project-1/ranking-ids.npy", array)

    assert bucket.keys() == {"artifacts/project-1/ranking-ids.npy"}
    stored = bucket.read("artifacts/project-1/ranking-ids.npy")
    assert np.load(io.BytesIO(stored)).tolist() == [3, 1, 2]
    assert not Path(django_settings.ARTIFACT_ROOT).exists()


def test_a_reused_name_raises_and_keeps_the_original(store):
    array_save("project-1/x.npy", np.zeros(3))
    bytes_save("project-1/m.pt", b"first")

    with pytest.raises(FileExistsError, match=r"project-1/x\.npy"):
        array_save("project-1/x.npy", np.ones(5))
    with pytest.raises(FileExistsError, match=r"project-1/m\.pt"):
        bytes_save("project-1/m.pt", b"second")

    assert array_load("project-1/x.npy").tolist() == [0.0, 0.0, 0.0]
    assert bytes_load("project-1/m.pt") == b"first"
    if store is not None:  # the backend's renamed copies were removed again
        assert store.keys() == {"artifacts/project-1/x.npy", "artifacts/project-1/m.pt"}
    else:
        assert sorted(p.name for p in (Path(django_settings.ARTIFACT_ROOT) / "project-1").iterdir()) == [
            "m.pt", "x.npy"
        ]  # fmt: skip


def test_bytes_round_trip_and_delete_removes_them(store):
    data = bytes(range(256)) * 1000

    bytes_save("project-2/model-v1-abc.pt", data)
    assert bytes_load("project-2/model-v1-abc.pt") == data
    artifact_delete("project-2/model-v1-abc.pt")
    artifact_delete("project-2/model-v1-abc.pt")  # deleting what is gone is cleanup, not an error

    with pytest.raises(FileNotFoundError):
        bytes_load("project-2/model-v1-abc.pt")
    if store is not None:
        assert store.keys() == set()


@pytest.mark.django_db
def test_a_retrain_keeps_embeddings_model_and_ranking_in_the_bucket(bucket, make_digits_project, annotator, settings):
    settings.RANKING_QUEUE_HEAD = 5
    project = make_digits_project(per_class=10, retrain_every=1000, encoder="efficientnet-lite0-112")
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    model_version_train(version.pk)  # embeds, trains and publishes in-process, as a worker would

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.DONE, version.error
    embedding_set = EmbeddingSet.objects.get(project=project)
    names = {
        embedding_set.ids_name, embedding_set.vectors_name, version.artifact_path,
        f"{version.ranking_name}-ids.npy", f"{version.ranking_name}-scores.npy",
        f"{version.metrics['predictions']['name']}-ids.npy", f"{version.metrics['predictions']['name']}-probs.npy",
    }  # fmt: skip
    assert bucket.keys() == {f"artifacts/{name}" for name in names}
    assert version.artifact_path.startswith(f"project-{project.pk}/model-v1-")
    assert not Path(settings.ARTIFACT_ROOT).exists()  # nothing on this machine's disk

    model = SoftmaxClassifier.from_bytes(bytes_load(version.artifact_path), device="cpu")
    assert model.n_features_in_ == 1280 and list(model.classes_) == ["0", "1", "2"]
    ids = array_load(f"{version.ranking_name}-ids.npy")
    unlabeled = Item.objects.filter(project=project, split="pool", labels__isnull=True)
    assert sorted(ids.tolist()) == sorted(unlabeled.values_list("pk", flat=True))
    head = list(ItemScore.objects.filter(model_version=version).order_by("rank").values_list("item_id", flat=True))
    assert head == ids[:5].tolist()  # the queue serves the head of the ranking read back from S3
    pool_ids = np.array(sorted(unlabeled.values_list("pk", flat=True)))
    assert embeddings_for_items(project=project, item_ids=pool_ids).shape == (len(pool_ids), 1280)


@pytest.mark.django_db
def test_a_run_that_cannot_publish_leaves_nothing_in_the_bucket(bucket, make_digits_project, annotator, monkeypatch):
    project = make_digits_project(per_class=20, retrain_every=1000)
    label_in_cold_order(project, annotator, 12)
    version = model_version_request(project=project, force=True)

    lose_the_row_while_training(monkeypatch, version)  # the sweep gave up on the run while it trained
    model_version_train(version.pk)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.FAILED and "worker was lost" in version.error
    assert bucket.keys() == set()


def test_the_bucket_variable_alone_configures_the_s3_store(bucket, tmp_path):
    """A fresh process configured only through the environment, as a worker on another machine is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEEZER_S3_")}
    s3_endpoint = bucket.client.meta.endpoint_url
    env.update(TWEEZER_S3_BUCKET=bucket.name, TWEEZER_S3_ENDPOINT_URL=s3_endpoint, TWEEZER_S3_REGION="us-east-1",
               TWEEZER_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")  # fmt: skip
    script = (
        "import json, django, numpy as np; django.setup()\n"
        "from django.conf import settings; from django.core.files.storage import storages\n"
        "from labeling.artifacts import array_load, array_save\n"
        "array_save('probe/x.npy', np.arange(3))\n"
        "store = storages['artifacts']\n"
        "print(json.dumps({'backend': settings.STORAGES['artifacts']['BACKEND'], 'bucket': store.bucket_name,\n"
        "    'endpoint': store.endpoint_url, 'location': store.location, 'overwrite': store.file_overwrite,\n"
        "    'loaded': array_load('probe/x.npy').tolist()}))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=django_settings.BASE_DIR,
                         capture_output=True, text=True, timeout=120)  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "backend": "storages.backends.s3.S3Storage", "bucket": bucket.name, "endpoint": s3_endpoint,
        "location": "artifacts", "overwrite": False, "loaded": [0, 1, 2],
    }  # fmt: skip
    assert bucket.keys() == {"artifacts/probe/x.npy"}
    assert not (tmp_path / "artifacts").exists()


def test_without_the_bucket_variable_artifacts_stay_on_local_disk(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEEZER_S3_")}
    env.update(TWEEZER_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    script = "import django; django.setup(); from django.conf import settings; print('artifacts' in settings.STORAGES)"
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=django_settings.BASE_DIR,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (run.returncode, run.stdout.strip().splitlines()[-1]) == (0, "False"), run.stderr


@pytest.mark.django_db
def test_the_orphan_sweep_deletes_only_old_model_and_ranking_files_no_version_names(store, make_digits_project):
    project = make_digits_project(per_class=2)
    stem = f"project-{project.pk}"
    ModelVersion.objects.create(
        project=project, number=1, strategy="entropy", status="done",
        artifact_path=f"{stem}/model-v1-aaaa.pt", ranking_name=f"{stem}/ranking-v1-aaaa",
    )  # fmt: skip
    named = [f"{stem}/model-v1-aaaa.pt", f"{stem}/ranking-v1-aaaa-ids.npy", f"{stem}/ranking-v1-aaaa-scores.npy"]
    orphans = [f"{stem}/model-v2-bbbb.pt", f"{stem}/ranking-v2-bbbb-ids.npy", f"{stem}/ranking-v2-bbbb-scores.npy"]
    other = f"{stem}/embeddings-minilm-l6-cccc-ids.npy"  # not a model or ranking file: never this sweep's
    for name in [*named, *orphans, other]:
        bytes_save(name, b"x")

    assert orphan_artifacts_sweep(min_age=timedelta(hours=1)) == []  # all younger than the safe age

    deleted = orphan_artifacts_sweep(min_age=timedelta(0))

    assert sorted(deleted) == sorted(orphans)
    assert sorted(name for name, _ in artifact_list()) == sorted([*named, other])


@pytest.mark.django_db
def test_the_orphan_sweep_keeps_a_young_file_and_deletes_an_hour_old_one(make_digits_project, settings, tmp_path):
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    project = make_digits_project(per_class=2)
    young, old = f"project-{project.pk}/model-v1-aaaa.pt", f"project-{project.pk}/model-v2-bbbb.pt"
    bytes_save(young, b"x")
    bytes_save(old, b"x")
    two_hours_ago = time.time() - 7200
    os.utime(Path(settings.ARTIFACT_ROOT) / old, (two_hours_ago, two_hours_ago))

    assert orphan_artifacts_sweep(min_age=timedelta(hours=1)) == [old]
    assert [name for name, _ in artifact_list()] == [young]
