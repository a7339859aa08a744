"""Export time and peak memory at 10k, 100k and 1M labels, on PostgreSQL.

Each size is a text project of synthetic rows (items and one label each, inserted by SQL; a
finished model version with stored predictions for every item). Each export runs in a fresh
child process that reads the whole body of the export, as a client of the streaming response
would; peak memory is the child's own peak RSS (VmHWM), and its growth over the RSS just before the export
(Django, torch and numpy loaded) is what the export itself held. Target: peak flat within 50 MB
across the three sizes.

    createdb -h 127.0.0.1 -U postgres tweezer_bench_exports
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tweezer_bench_exports TWEEZER_VAR_DIR=/tmp/tweezer-bench \
        .venv/bin/python -m bench.export
"""

import json
import os
import subprocess
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import numpy as np  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.report import write  # noqa: E402
from labeling.artifacts import array_save  # noqa: E402
from labeling.exports.formats import FORMATS  # noqa: E402
from labeling.exports.rows import export_columns, export_records  # noqa: E402
from labeling.models import ModelVersion, Project  # noqa: E402
from labeling.services.projects import project_create  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("EXPORT_BENCH_SIZES", "10000,100000,1000000").split(","))
RUNS = [  # (format, optional columns)
    ("jsonl", []),
    ("csv", ["annotators", "agreement", "prediction", "selection"]),
    ("texts-jsonl", ["agreement"]),
    ("label-studio", ["prediction"]),
]


def make_project(n: int) -> Project:
    """n texts with one label each (setup, not measured), and a finished version's predictions."""
    project = project_create(name=f"export-bench-{n}-{time.time_ns()}", modality="text",
                             class_names=["fresh", "rotten", "=bad"])  # fmt: skip
    annotator = get_user_model().objects.create(username=f"bench-annotator-{n}-{time.time_ns()}")
    classes = list(project.label_classes.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO labeling_item (project_id, split, image, text, source_name, cold_rank, audit, created_at) "
            "SELECT %s, 'pool', '', 'a review, \"quoted\", number ' || g, 'row ' || g, g, false, now() "
            "FROM generate_series(0, %s - 1) AS g",
            [project.pk, n],
        )
        cursor.execute(
            "INSERT INTO labeling_label (item_id, annotator_id, label_class_id, duration_ms, created_at, updated_at) "
            "SELECT id, %s, (ARRAY[%s, %s, %s])[1 + id %% 3], 500, now(), now() FROM labeling_item "
            "WHERE project_id = %s",
            [annotator.pk, *classes, project.pk],
        )
    ids = np.fromiter(project.items.order_by("id").values_list("id", flat=True), np.int64)
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=n).astype(np.float32)  # (n, 3)
    name = f"project-{project.pk}/predictions-bench"
    array_save(f"{name}-ids.npy", ids)
    array_save(f"{name}-probs.npy", probs)
    ModelVersion.objects.create(project=project, number=1, strategy="margin", status=ModelVersion.Status.DONE,
                                metrics={"predictions": {"name": name, "classes": ["fresh", "rotten", "=bad"],
                                                         "items": n}})  # fmt: skip
    return project


def drop_project(project: Project) -> None:
    """Delete the synthetic rows by SQL (the ORM would load a million labels to delete them)."""
    with connection.cursor() as cursor:
        items = "SELECT id FROM labeling_item WHERE project_id = %s"
        cursor.execute(f"DELETE FROM labeling_label WHERE item_id IN ({items})", [project.pk])
        cursor.execute("DELETE FROM labeling_item WHERE project_id = %s", [project.pk])
    project.delete()


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that over from
    the parent across fork and exec, so a child would report the parent's peak."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(project_id: int, fmt: str, extras: list[str]) -> None:
    """Run one export to its end in this process; print seconds, bytes and memory as JSON."""
    project = Project.objects.get(pk=project_id)
    reverse("labeling:item-image", args=[0])  # load the URL map first, as a running web process has
    before = rss_mb()
    start = time.perf_counter()
    size = 0
    for chunk in FORMATS[fmt].write(export_records(project=project, extras=extras), export_columns(extras), ""):
        size += len(chunk)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "bytes": size, "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    call_command("migrate", verbosity=0)
    rows = []
    for n in SIZES:
        project = make_project(n)
        for fmt, extras in RUNS:
            command = [sys.executable, "-m", "bench.export", "--child", str(project.pk), fmt, ",".join(extras)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            rows.append({
                "labels": f"{n:,}", "format": fmt, "columns": ",".join(extras) or "-",
                "seconds": round(result["seconds"], 2), "rows_per_s": f"{n / result['seconds']:,.0f}",
                "output_mb": round(result["bytes"] / 2**20, 1), "peak_rss_mb": round(result["peak_rss_mb"], 1),
                "growth_during_export_mb": round(result["peak_rss_mb"] - result["rss_before_mb"], 1),
            })  # fmt: skip
            print(rows[-1], flush=True)
        drop_project(project)
    peaks: dict[str, list[float]] = {}
    for row in rows:
        peaks.setdefault(row["format"], []).append(row["peak_rss_mb"])
    spread = {fmt: round(max(p) - min(p), 1) for fmt, p in peaks.items()}
    summary = {
        "database": connection.vendor,
        "peak RSS spread across 10k-1M labels, MB (target <= 50)": spread,
        "target met": all(s <= 50 for s in spread.values()),
    }
    print(write("export", rows, summary))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), sys.argv[3], [c for c in sys.argv[4].split(",") if c])
    else:
        main()
