"""Drive a running Tweezer like an annotator and time the active-learning loop.

Labels items over the REST API (answering with the dataset's true class), then measures the
time from the Nth label, which queues a retrain, until the new model version's ranking is
the one the API serves. Start the product first (`./tweezer demo`), then e.g.:

    .venv/bin/python -m bench.loop_latency --url http://127.0.0.1:8000 \
        --user annotator --project mnist-5k --rounds 3   # password in $TWEEZER_PASSWORD
"""

import argparse
import json
import os
import statistics
import time
import urllib.request
from typing import Any

from bench.report import write
from learner.datasets import load_dataset


class Client:
    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Content-Type": "application/json"}
        token = self.call("POST", "/api/auth/token/", {"username": user, "password": password})["token"]
        self.headers["Authorization"] = f"Token {token}"  # hashes the password once, not per call

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=self.headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def true_class(dataset_labels: Any, source_name: str) -> str:
    """Demo items are named after their dataset row: 'mnist-5k-00123.png' or 'rotten-tomatoes-42'."""
    row = int(source_name.rsplit("-", 1)[1].split(".")[0])
    return str(dataset_labels[row])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    # It labels and then reads the model versions: a role that does both (reviewer, owner, staff).
    parser.add_argument("--user", default="admin")
    parser.add_argument("--project", default="mnist-5k")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default=None, help="Results file name (default loop-latency-<project>).")
    args = parser.parse_args()

    password = os.environ.get("TWEEZER_PASSWORD")
    if not password:
        parser.error("set TWEEZER_PASSWORD to the user's password (kept out of the recorded command)")
    client = Client(args.url, args.user, password)
    project = next(p for p in client.call("GET", "/api/projects/") if p["name"] == args.project)
    pid, every = project["id"], project["retrain_every"]
    labels = load_dataset(args.project).labels
    rows, label_ms = [], []
    for _ in range(args.rounds):
        known = {v["number"] for v in client.call("GET", f"/api/projects/{pid}/model-versions/")}
        for _ in range(10 * every):  # label until a new version is queued
            item = client.call("GET", f"/api/projects/{pid}/next-item/")["item"]
            started = time.perf_counter()
            body = {"item": item["id"], "label": true_class(labels, item["source_name"])}
            client.call("POST", f"/api/projects/{pid}/labels/", body)
            label_ms.append(1000 * (time.perf_counter() - started))
            versions = client.call("GET", f"/api/projects/{pid}/model-versions/")
            new = [v for v in versions if v["number"] not in known]
            if new:
                break
        queued_at, number = started, new[0]["number"]
        while True:  # until the API serves items from the new ranking
            version = next(
                v for v in client.call("GET", f"/api/projects/{pid}/model-versions/") if v["number"] == number
            )
            if version["status"] in {"done", "failed"}:
                break
            time.sleep(0.05)
        served = client.call("GET", f"/api/projects/{pid}/next-item/")
        rows.append(
            {
                "version": number,
                "labels_used": version["labels_used"],
                "status": version["status"],
                "nth_label_to_ranking_s": round(time.perf_counter() - queued_at, 2),
                "train_and_rank_s": version["metrics"].get("train_seconds"),
                "eval_accuracy": version["metrics"].get("eval_accuracy"),
                "next_item_from_version": served["model_version"],
            }
        )
        print(rows[-1])
    summary = {
        "project": args.project,
        "label_post_ms_median": round(statistics.median(label_ms), 1),
        "label_post_ms_p95": round(sorted(label_ms)[int(0.95 * (len(label_ms) - 1))], 1),
        "labels_posted": len(label_ms),
    }
    print(summary)
    write(args.name or f"loop-latency-{args.project}", rows, summary)


if __name__ == "__main__":
    main()
