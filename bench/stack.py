"""The production stack as separate processes: gunicorn and a Celery worker (with beat) on a given
PostgreSQL database and Redis, for the load benchmark and the fault tests.

A `Setup` is one server recipe; `SETUPS["baseline"]` is the README's (`./tweezer demo`: two sync
gunicorn workers, a worker with concurrency 1), `SETUPS["tuned"]` the production recipe the load
benchmark chose (README, "Serving many annotators").
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setup:
    name: str
    gunicorn: tuple[str, ...]  # arguments after `gunicorn config.wsgi --bind ...`
    env: dict[str, str] = field(default_factory=dict)  # for both processes
    worker_nice: int = 0  # the Celery worker's niceness: training yields the CPU to requests


SETUPS = {
    "baseline": Setup("baseline", ("--workers", "2", "--timeout", "120")),
    # The production recipe (README, "Serving many annotators"): three sync workers on two cores,
    # so one waits on the database while two compute; kept connections; training at low priority.
    "tuned": Setup(
        "tuned",
        ("--workers", "3", "--timeout", "120"),
        env={"TWEEZER_DB_CONN_MAX_AGE": "600", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        worker_nice=10,
    ),
    # Measured beside it and not chosen: a fourth sync worker, and threads.
    "sync4": Setup(
        "sync4",
        ("--workers", "4", "--timeout", "120"),
        env={"TWEEZER_DB_CONN_MAX_AGE": "600", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        worker_nice=10,
    ),
    "gthread": Setup(
        "gthread",
        ("--workers", "2", "--worker-class", "gthread", "--threads", "8", "--timeout", "120"),
        env={"TWEEZER_DB_CONN_MAX_AGE": "600", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        worker_nice=15,
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    base_url: str
    server: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    logs: Path


def _env(database_url: str, redis_url: str, var_dir: Path, setup: Setup, extra: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "TWEEZER_VAR_DIR": str(var_dir), **setup.env, **extra,
    }  # fmt: skip


def start_server(setup: Setup, env: dict[str, str], logs: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", *setup.gunicorn]
    with (logs / f"gunicorn-{setup.name}.log").open("ab") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/auth/token/", timeout=2)
        except urllib.error.HTTPError:
            return server  # it answered (405 to a GET): up
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {logs}") from None
            time.sleep(0.2)


def start_worker(setup: Setup, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    log_path = logs / f"worker-{setup.name}.log"
    nice = ["nice", "-n", str(setup.worker_nice)] if setup.worker_nice else []
    command = [
        *nice, sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,gpu", "--concurrency", "1",
        "--pool", "solo", "-B", "--schedule", str(logs / f"beat-{setup.name}"), "--loglevel", "INFO",
        "--hostname", f"stack-{setup.name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    start = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("ab") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 120
    while "ready." not in log_path.read_bytes()[start:].decode(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"Celery worker did not start; see {log_path}")
        time.sleep(0.2)
    return worker


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(
    setup: Setup,
    *,
    database_url: str,
    redis_url: str,
    var_dir: Path,
    logs: Path,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """gunicorn and a worker for `setup`, up until the block ends."""
    logs.mkdir(parents=True, exist_ok=True)
    env = _env(database_url, redis_url, var_dir, setup, extra_env or {})
    port = free_port()
    worker = start_worker(setup, env, logs)
    try:
        server = start_server(setup, env, logs, port)
        try:
            yield Stack(f"http://127.0.0.1:{port}", server, worker, logs)
        finally:
            stop(server)
    finally:
        stop(worker)
