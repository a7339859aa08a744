"""Redis restarted in the middle of a labeling burst: no label is lost, no label POST fails, and
the retrain queued while the broker was down still runs once it is back.

The label is in PostgreSQL; the retrain's message is only a trigger. While Redis is down the label
commits and the send is logged and dropped (labeling.queue); the queued ModelVersion row's
heartbeat goes stale and the sweep (celery beat in the worker, every second here) sends it again.
The test runs its own redis-server, so the shared one other tests use is never disturbed.
"""

import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings

from bench.load import CLASSES, prepare
from bench.stack import SETUPS, free_port, running
from labeling.models import Label, ModelVersion
from tests.worker import _database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _redis_server(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"redis-server on port {port} did not start")
        time.sleep(0.1)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[int]:
    port = free_port()
    yield port
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)


def _label_next(session: requests.Session, api: str) -> int:
    """Label the next item; the POST's status."""
    item = session.get(f"{api}/next-item/", timeout=30).json()["item"]["id"]
    body = {"item": item, "label": CLASSES[item % len(CLASSES)], "idempotency_key": str(uuid.uuid4())}
    return session.post(f"{api}/labels/", json=body, timeout=30).status_code


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="the production stack")
def test_redis_restarted_mid_burst_loses_no_label_and_the_retrain_still_runs(own_redis, _isolated_files):
    prepared = prepare(name="redis-restart", annotators=1, items=200, retrain_every=5)
    redis = _redis_server(own_redis)
    fast_sweeps = {"TWEEZER_SWEEP_EVERY_SECONDS": "1", "TWEEZER_STALE_AFTER_SECONDS": "4"}
    session = requests.Session()
    session.headers["Authorization"] = f"Token {prepared.tokens[0]}"
    try:
        with running(SETUPS["tuned"], database_url=_database_url(), redis_url=f"redis://127.0.0.1:{own_redis}/0",
                     var_dir=_isolated_files, logs=_isolated_files / "redis-restart-logs",
                     extra_env=fast_sweeps) as stack:  # fmt: skip
            api = f"{stack.base_url}/api/projects/{prepared.project_id}"
            statuses = [_label_next(session, api) for _ in range(3)]
            _stop(redis)  # Redis goes away mid-burst; the 5th label queues a retrain it cannot send
            statuses += [_label_next(session, api) for _ in range(4)]
            queued_while_down = ModelVersion.objects.get(project_id=prepared.project_id)
            redis = _redis_server(own_redis)  # back, empty: any message it held is gone (--save '')
            statuses += [_label_next(session, api) for _ in range(3)]

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                queued_while_down.refresh_from_db()
                if queued_while_down.status in ("done", "failed"):
                    break
                time.sleep(0.5)
    finally:
        _stop(redis)

    assert statuses == [201] * 10
    assert Label.objects.filter(item__project_id=prepared.project_id).count() == 10
    assert queued_while_down.status == "done", queued_while_down.error
    log = (_isolated_files / "redis-restart-logs" / "gunicorn-tuned.log").read_text()
    assert "the periodic sweep sends it again" in log  # the send failed, and said so
