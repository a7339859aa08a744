"""A real Celery worker process for tests, on the broker and database the tests use."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

QUEUES = ("default", "gpu")


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def purge_queues(queues: tuple[str, ...]) -> None:
    """Drop messages left by an earlier run: their ids point into another test database."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            channel.queue_purge(queue)


def start_worker(log_path: Path, queues: tuple[str, ...] = QUEUES, name: str = "test") -> subprocess.Popen[bytes]:
    """Start `celery worker` (solo pool: the process is the worker) and wait until it is ready."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "TWEEZER_VAR_DIR": str(log_path.parent),  # media and model files: see _isolated_files
        "TWEEZER_BROKER_DIR": str(settings.BROKER_DIR),  # the embedded broker the tests publish to
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", ",".join(queues),
        "--pool", "solo", "--loglevel", "INFO", "--hostname", f"{name}-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR)
    deadline = time.monotonic() + 90
    while "ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Celery worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, _isolated_files: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker on the default and gpu queues for the whole session."""
    purge_queues(QUEUES)
    process = start_worker(_isolated_files / "worker.log")
    yield process
    stop_worker(process)
