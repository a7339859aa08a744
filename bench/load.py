"""N simulated annotators against the real stack: gunicorn, PostgreSQL, Redis and a Celery worker
retraining every 20 labels. Reports throughput, latency (server-side from the Server-Timing
header, and client-side), duplicates, lost labels and 5xx, per server setup.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tweezer_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
      python -m bench.load --annotators 50 --seconds 300 --setup baseline,tuned

Each annotator loops: GET next-item, think 0.6-1.2 s, POST the label with an idempotency key (a 5xx
or a dropped connection is retried with the same key, as the annotator's page does). The load
generator runs in a process of its own (asyncio + aiohttp, one process for all annotators) and
reports its own CPU use, so a saturated generator is not mistaken for a slow server. Each setup
gets a fresh project of text items in the same database (migrated first).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.stack import SETUPS, running

CLASSES = ("pos", "neg", "mixed")
WORDS = [f"w{i}" for i in range(400)]


@dataclass(frozen=True)
class Prepared:
    project_id: int
    tokens: list[str]
    user_ids: list[int]


def prepare(*, name: str, annotators: int, items: int, retrain_every: int = 20, seed: int = 0) -> Prepared:
    """A text project with `items` items (gold classes known), `annotators` members with API tokens."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from labeling.readers import TextRecord
    from labeling.services.imports import items_import_texts
    from labeling.services.projects import project_create, project_member_add

    rng = random.Random(seed)
    project = project_create(name=name, modality="text", class_names=CLASSES, label_budget=items,
                             retrain_every=retrain_every, strategy="margin")  # fmt: skip
    records = []
    for i in range(items):
        cls = CLASSES[i % len(CLASSES)]
        words = [*rng.choices(WORDS, k=12), *[cls] * rng.randint(0, 2)]
        records.append(TextRecord(text=" ".join(words), class_name=cls, source_name=f"t{i}"))
    items_import_texts(project=project, records=records)
    tokens, user_ids = [], []
    for i in range(annotators):
        user = get_user_model().objects.create_user(username=f"{name}-a{i}", password=None)
        project_member_add(project=project, user=user)
        tokens.append(Token.objects.create(user=user).key)
        user_ids.append(user.pk)
    return Prepared(project.pk, tokens, user_ids)


# --- the load generator (its own process) ---------------------------------------------------


def _timing_ms(header: str | None, metric: str) -> float | None:
    """A metric's duration from a Server-Timing header (`app`: the whole request, `db`: its
    database calls)."""
    for entry in (header or "").split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        if name == metric:
            return next((float(p[4:]) for p in params if p.startswith("dur=")), None)
    return None


Record = tuple[str, int, float, float | None, float | None, float]  # endpoint, status, client/app/db ms, at s


async def _annotator(session: Any, base: str, project_id: int, token: str, index: int, deadline: float,
                     records: list[Record], saved: list[list[int]], start: float) -> None:  # fmt: skip
    import aiohttp

    rng = random.Random(index)
    headers = {"Authorization": f"Token {token}"}
    api = f"{base}/api/projects/{project_id}"

    async def call(endpoint: str, method: str, url: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        started = time.perf_counter()
        try:
            async with session.request(method, url, json=body, headers=headers) as response:
                data = await response.json(content_type=None)
                ms, timing = (time.perf_counter() - started) * 1000, response.headers.get("Server-Timing")
                records.append((endpoint, response.status, ms, _timing_ms(timing, "app"), _timing_ms(timing, "db"),
                                started - start))  # fmt: skip
                return response.status, data
        except (TimeoutError, aiohttp.ClientError):  # status 0: no answer
            records.append((endpoint, 0, (time.perf_counter() - started) * 1000, None, None, started - start))
            return 0, None

    await asyncio.sleep(rng.uniform(0, 1))  # annotators do not all start on the same millisecond
    while time.monotonic() < deadline:
        status, data = await call("next-item", "GET", f"{api}/next-item/", None)
        if status != 200 or not data or data.get("item") is None:
            await asyncio.sleep(1)
            continue
        item_id = data["item"]["id"]
        await asyncio.sleep(rng.uniform(0.6, 1.2))  # reading the item
        body = {"item": item_id, "label": rng.choice(CLASSES), "idempotency_key": str(uuid.uuid4())}
        for _ in range(5):  # as the page's outbox: a 5xx or no answer is sent again with the same key
            status, _data = await call("label", "POST", f"{api}/labels/", body)
            if status and status < 500:
                break
            await asyncio.sleep(0.5)
        if status in (200, 201):
            saved.append([index, item_id])


async def _generate(base: str, project_id: int, tokens: list[str], seconds: float) -> dict[str, Any]:
    import aiohttp

    records: list[Record] = []
    saved: list[list[int]] = []
    deadline, start = time.monotonic() + seconds, time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(_annotator(session, base, project_id, token, i, deadline, records, saved, start)
                               for i, token in enumerate(tokens)))  # fmt: skip
    return {"records": records, "saved": saved}


def _client_main(base: str, project_id: int, tokens: list[str], seconds: float, out: str) -> None:
    started, usage = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    result = asyncio.run(_generate(base, project_id, tokens, seconds))
    after = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic() - started
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    result.update(wall_seconds=wall, client_cpu_seconds=cpu)
    Path(out).write_text(json.dumps(result))


def generate_load(base: str, project_id: int, tokens: list[str], seconds: float) -> dict[str, Any]:
    """Run the annotators in a separate process; what each request took and which labels were saved."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    process = multiprocessing.get_context("spawn").Process(
        target=_client_main, args=(base, project_id, tokens, seconds, out)
    )
    process.start()
    process.join()
    result = json.loads(Path(out).read_text())
    os.unlink(out)
    return result


# --- what the run did to the data --------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    labels_saved: int  # 2xx label answers the client got
    labels_in_db: int
    duplicates: int  # items with more than one label (labels_per_item is 1)
    lost: int  # 2xx labels whose (annotator, item) is not in the database exactly once
    server_errors: int  # 5xx answers
    no_answer: int  # requests that got no HTTP answer at all
    retrains_done: int
    retrains_failed: int


def count(prepared: Prepared, result: dict[str, Any]) -> Counts:
    from django.db.models import Count

    from labeling.models import Label, ModelVersion

    labels = Label.objects.filter(item__project_id=prepared.project_id)
    pairs: dict[tuple[int, int], int] = {}
    for annotator_id, item_id in labels.values_list("annotator_id", "item_id"):
        pairs[(annotator_id, item_id)] = pairs.get((annotator_id, item_id), 0) + 1
    lost = sum(1 for index, item_id in result["saved"] if pairs.get((prepared.user_ids[index], item_id)) != 1)
    versions = ModelVersion.objects.filter(project_id=prepared.project_id)
    return Counts(
        labels_saved=len(result["saved"]), labels_in_db=labels.count(),
        duplicates=labels.values("item_id").annotate(n=Count("id")).filter(n__gt=1).count(), lost=lost,
        server_errors=sum(1 for r in result["records"] if r[1] >= 500),
        no_answer=sum(1 for r in result["records"] if r[1] == 0),
        retrains_done=versions.filter(status="done").count(), retrains_failed=versions.filter(status="failed").count(),
    )  # fmt: skip


def latency_row(setup: str, endpoint: str, result: dict[str, Any]) -> dict[str, Any]:
    rows = [r for r in result["records"] if r[0] == endpoint and r[1]]
    client = np.array([r[2] for r in rows])
    server = np.array([r[3] for r in rows if r[3] is not None])
    database = np.array([r[4] for r in rows if r[4] is not None])
    return {
        "setup": setup, "endpoint": endpoint, "requests": len(rows),
        "server p50 ms": _pct(server, 50), "server p95 ms": _pct(server, 95), "server p99 ms": _pct(server, 99),
        "of it database p50 / p95 ms": f"{_pct(database, 50)} / {_pct(database, 95)}",
        "client p50 ms": _pct(client, 50), "client p95 ms": _pct(client, 95), "client p99 ms": _pct(client, 99),
    }  # fmt: skip


def _pct(values: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if len(values) else None


def p95_by_minute(endpoint: str, result: dict[str, Any]) -> list[float | None]:
    """The endpoint's server-side p95 in each minute of the run: a tail that grows with the
    project shows here, where the whole run's p95 hides it."""
    rows = [r for r in result["records"] if r[0] == endpoint and r[1] and r[3] is not None]
    minutes = int(max((r[5] for r in rows), default=0) // 60) + 1
    return [_pct(np.array([r[3] for r in rows if m * 60 <= r[5] < (m + 1) * 60]), 95) for m in range(minutes)]


# --- the benchmark -----------------------------------------------------------------------------


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--setup", default="baseline,tuned", help=f"comma-separated, of {sorted(SETUPS)}")
    parser.add_argument("--items", type=int, default=0, help="pool size (default: enough for the run, x1.5)")
    parser.add_argument("--name", default="load", help="results/<name>.md and .json")
    args = parser.parse_args()
    database_url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweezer_bench")
    redis_url = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    _ensure_database(database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench import report

    call_command("migrate", verbosity=0)
    items = args.items or int(args.annotators * args.seconds * 1.5)
    rows, summary = [], {"annotators": args.annotators, "seconds": args.seconds, "items": items,
                         "load average before (1, 5, 15 min)": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
    var_dir = Path(tempfile.mkdtemp(prefix="tweezer-load-"))
    for name in args.setup.split(","):
        setup = SETUPS[name]
        prepared = prepare(name=f"{args.name}-{name}-{uuid.uuid4().hex[:6]}", annotators=args.annotators, items=items)
        with running(setup, database_url=database_url, redis_url=redis_url, var_dir=var_dir,
                     logs=var_dir / "logs") as stack:  # fmt: skip
            result = generate_load(stack.base_url, prepared.project_id, prepared.tokens, args.seconds)
        counts = count(prepared, result)
        labels_per_second = counts.labels_saved / result["wall_seconds"]
        for endpoint in ("next-item", "label"):
            rows.append({**latency_row(name, endpoint, result)})
        summary[name] = {
            **asdict(counts), "labels per second": round(labels_per_second, 1),
            "load generator CPU (% of one core)": round(100 * result["client_cpu_seconds"] / result["wall_seconds"], 1),
            "recipe": f"gunicorn {' '.join(setup.gunicorn)}; env {setup.env}; worker nice {setup.worker_nice}",
            **{f"{e} server p95 by minute": p95_by_minute(e, result) for e in ("next-item", "label")},
        }  # fmt: skip
        print(json.dumps({name: summary[name]}, indent=1), flush=True)
    summary["load average after (1, 5, 15 min)"] = [round(x, 2) for x in os.getloadavg()]
    print(report.write(args.name, rows, summary))
    subprocess.run(["rm", "-rf", str(var_dir)], check=False)


if __name__ == "__main__":
    main()
