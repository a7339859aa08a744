"""How long the first retrain of a fresh demo waits for the worker, this checkout against another.

For each checkout, the benchmark sets the demo up as `./tweezer demo` does (SQLite, the
filesystem broker, MNIST-5k and Rotten Tomatoes imported, one Celery worker with concurrency 1
on both queues), so both projects' embeddings are queued at once. An annotator then labels the
first 20 digits the API serves over REST, which queues the first retrain, and the benchmark
times it: queued to finished, minus the run's own train time, is the wait.

    python -m bench.first_retrain_wait --reference ../old-checkout

Results: bench/results/first-retrain-wait.json and .md.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import write

ROOT = Path(__file__).resolve().parents[1]


def _django(checkout: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=checkout, env=env, check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def measure(checkout: Path, timeout: float) -> dict[str, object]:
    """Set the demo up in a fresh folder, label 20 digits, and time the first retrain."""
    with tempfile.TemporaryDirectory(prefix="tweezer-wait-") as var_dir:
        env = {**os.environ, "TWEEZER_VAR_DIR": var_dir, "TWEEZER_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        _django(checkout, env, "migrate", "--noinput", "-v", "0")
        _django(checkout, env, "demo_setup")
        celery = Path(sys.executable).with_name("celery")
        worker = subprocess.Popen([str(celery), "-A", "config", "worker", "-Q", "default,gpu", "--concurrency", "1",
                                   "--loglevel", "WARNING"], cwd=checkout, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            return _label_and_wait(checkout, env, timeout)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


LABEL_20 = """
from rest_framework.test import APIClient
from django.contrib.auth import get_user_model
from labeling.models import Item, ModelVersion, Project
project = Project.objects.get(name="mnist-5k")
api = APIClient()
api.force_authenticate(get_user_model().objects.get(username="annotator"))
for _ in range(project.retrain_every):
    served = api.get(f"/api/projects/{project.pk}/next-item/").json()["item"]["id"]
    item = Item.objects.select_related("gold_class").get(pk=served)
    api.post(f"/api/projects/{project.pk}/labels/", {"item": item.pk, "label": item.gold_class.name}, format="json")
"""

POLL = """
import json
from labeling.models import ModelVersion
v = ModelVersion.objects.filter(project__name="mnist-5k", number=1).first()
print(json.dumps(None if v is None else {"status": v.status, "created": v.created_at.timestamp(),
      "started": v.started_at.timestamp() if v.started_at else None,
      "finished": v.finished_at.timestamp() if v.finished_at else None,
      "train_seconds": v.metrics.get("train_seconds")}))
"""


def _label_and_wait(checkout: Path, env: dict[str, str], timeout: float) -> dict[str, object]:
    _django(checkout, env, "shell", "-c", LABEL_20)  # the 20th label queues the retrain
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = json.loads(_django(checkout, env, "shell", "-c", POLL).strip().splitlines()[-1])
        if state and state["status"] in ("done", "failed"):
            wait = state["started"] - state["created"] if state["started"] else None
            return {"status": state["status"], "wait_s": round(wait, 1) if wait is not None else None,
                    "queued_to_done_s": round(state["finished"] - state["created"], 1),
                    "train_s": state["train_seconds"]}  # fmt: skip
        time.sleep(2)
    return {"status": f"not done after {timeout:.0f} s", "wait_s": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, help="another checkout of Tweezer, measured first in the same run")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    if args.reference is not None and not (args.reference / "manage.py").exists():
        parser.error(f"--reference {args.reference} is not a Tweezer checkout (no manage.py there)")
    runs = ([("reference", args.reference.resolve())] if args.reference else []) + [("this checkout", ROOT)]
    rows = []
    for name, checkout in runs:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True,
                                text=True).stdout.strip()  # fmt: skip
        print(f"Measuring {name} ({commit}) ...", flush=True)
        rows.append({"name": name, "commit": commit, **measure(checkout, args.timeout)})
    summary = {"what": "first retrain on a fresh demo: one worker (concurrency 1, both queues), both demo "
                       "projects embedding, 20 digits labeled over REST; wait = queued to started"}
    print(write("first-retrain-wait", rows, summary).read_text())


if __name__ == "__main__":
    main()
