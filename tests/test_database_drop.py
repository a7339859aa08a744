"""A database connection dropped mid-session (pg_terminate_backend, as a failover or a restart
does): the request in flight gets a clear 503 JSON error with Retry-After and saves nothing; the
retry with the same idempotency key saves the label once; a kept connection dropped between
requests is replaced before the next one (CONN_HEALTH_CHECKS), so that request just succeeds."""

import threading
import time
import uuid

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from bench.load import CLASSES, prepare
from bench.stack import SETUPS, running
from labeling.models import Label, LabelChange
from tests.worker import _database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="pg_terminate_backend"),
]


def _terminate_the_backend_waiting_on(project_id: int, locked: threading.Event, done: threading.Event) -> None:
    """Lock the project row (then set `locked`), wait until a request blocks on it, terminate that
    request's backend."""
    with psycopg.connect(_database_url()) as lock, psycopg.connect(_database_url(), autocommit=True) as admin:
        lock.execute("SELECT id FROM labeling_project WHERE id = %s FOR UPDATE", (project_id,))
        locked.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> %s "
                "AND datname = current_database()", (lock.info.backend_pid,),
            ).fetchall()
            if waiting:
                admin.execute("SELECT pg_terminate_backend(%s)", (waiting[0][0],))
                break
            time.sleep(0.02)
        lock.rollback()
    done.set()


def test_a_connection_dropped_mid_request_is_a_503_and_the_retry_saves_the_label_once():
    prepared = prepare(name="db-drop", annotators=1, items=20)
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {prepared.tokens[0]}")
    api = f"/api/projects/{prepared.project_id}"
    item = client.get(f"{api}/next-item/").json()["item"]["id"]
    body = {"item": item, "label": CLASSES[0], "idempotency_key": str(uuid.uuid4())}
    locked, done = threading.Event(), threading.Event()
    threading.Thread(target=_terminate_the_backend_waiting_on, args=(prepared.project_id, locked, done)).start()
    assert locked.wait(30)  # the label below must find the row locked, however fast it runs

    dropped = client.post(f"{api}/labels/", body, format="json")  # blocks on the lock, then loses its backend
    done.wait(30)

    assert dropped.status_code == 503 and dropped["Retry-After"] == "1"
    assert dropped.json()["message"].startswith("The database connection was lost; retry the request.")
    assert not Label.objects.filter(item_id=item).exists()  # nothing half-saved
    retried = client.post(f"{api}/labels/", body, format="json")
    assert retried.status_code == 201
    again = client.post(f"{api}/labels/", body, format="json")  # the page's outbox may send it twice
    assert again.status_code == 200
    assert Label.objects.filter(item_id=item).count() == 1 and LabelChange.objects.filter(item_id=item).count() == 1


@pytest.mark.worker
def test_a_kept_connection_dropped_between_requests_is_replaced_before_the_next(_isolated_files):
    prepared = prepare(name="db-drop-kept", annotators=1, items=20)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {prepared.tokens[0]}"
    statuses = []
    with running(SETUPS["tuned"], database_url=_database_url(), redis_url=settings.REDIS_URL or "redis://127.0.0.1",
                 var_dir=_isolated_files, logs=_isolated_files / "db-drop-logs") as stack:  # fmt: skip
        api = f"{stack.base_url}/api/projects/{prepared.project_id}"
        for _ in range(3):
            item = session.get(f"{api}/next-item/", timeout=30).json()["item"]["id"]
            connection.ensure_connection()
            ours = connection.connection.info.backend_pid  # the test's own; every other one of this database goes
            with psycopg.connect(_database_url(), autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)", (ours,),
                )  # fmt: skip
            body = {"item": item, "label": CLASSES[0], "idempotency_key": str(uuid.uuid4())}
            statuses.append(session.post(f"{api}/labels/", json=body, timeout=30).status_code)

    assert statuses == [201, 201, 201]
    assert Label.objects.filter(item__project_id=prepared.project_id).count() == 3
