"""SQLite as the demo runs it: web processes and the Celery worker write to one file at once."""

import threading
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections, transaction

ALIAS = "sqlite_probe"


@pytest.fixture
def sqlite_alias(tmp_path, django_db_blocker) -> Iterator[str]:
    """A second database alias: a fresh SQLite file opened with the product's SQLite options."""
    config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3"),
              "OPTIONS": settings.SQLITE_OPTIONS}  # fmt: skip
    connections.settings[ALIAS] = connections.configure_settings({"default": config})["default"]
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE label (author TEXT)")
        yield ALIAS
        connections[ALIAS].close()
    del connections.settings[ALIAS]


def test_a_label_saved_while_the_worker_writes_waits_its_turn_instead_of_failing(sqlite_alias):
    # The shape of label_submit: read first, write second, in one transaction. The worker
    # commits in between. With SQLite's default transactions this fails at once with
    # "database is locked"; the annotator's label would be lost with a 500.
    web_has_read = threading.Event()
    worker_errors: list[Exception] = []

    def worker_writes() -> None:
        web_has_read.wait()
        try:
            with transaction.atomic(using=sqlite_alias):
                connections[sqlite_alias].cursor().execute("INSERT INTO label VALUES ('worker')")
        except Exception as exc:  # reported by the assertion below, not swallowed
            worker_errors.append(exc)
        finally:
            connections[sqlite_alias].close()

    worker = threading.Thread(target=worker_writes)
    worker.start()
    with transaction.atomic(using=sqlite_alias), connections[sqlite_alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM label")
        web_has_read.set()
        time.sleep(0.5)  # the worker tries to write now
        cursor.execute("INSERT INTO label VALUES ('web')")
    worker.join(timeout=30)

    assert worker_errors == []
    with connections[sqlite_alias].cursor() as cursor:
        cursor.execute("SELECT author FROM label ORDER BY author")
        assert [author for (author,) in cursor.fetchall()] == ["web", "worker"]
