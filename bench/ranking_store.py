"""Storing and switching a new ranking at 100k and 1M pool items, on PostgreSQL.

Two layouts, measured in the same run on the same items:
- every rank a row: ItemScore for all n items (bulk_create, as the skeleton did);
- head + arrays (what model_version_complete does): the whole ranking as two .npy artifacts,
  the first RANKING_QUEUE_HEAD ranks as rows, the previous version's rows dropped.
'switch' is the time from having the scores in memory to the commit that makes annotators see
them; 'next item' the annotator queue's query right after it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tweezer_bench .venv/bin/python -m bench.ranking_store
"""

import os
import time
from typing import Any

import django
import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.report import write  # noqa: E402
from labeling.models import Item, ItemScore, ModelVersion, Project  # noqa: E402
from labeling.selectors.items import next_item_candidate  # noqa: E402
from labeling.services.projects import project_create  # noqa: E402
from labeling.services.training import model_version_complete  # noqa: E402
from learner.ranking import PoolRanking  # noqa: E402


def make_pool(n: int) -> tuple[Project, np.ndarray]:
    """A text project with n pool items, inserted in one statement (setup, not measured)."""
    project = project_create(name=f"bench-{n}-{time.time_ns()}", modality="text", class_names=["a", "b"])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO labeling_item (project_id, split, image, text, source_name, cold_rank, created_at) "
            "SELECT %s, 'pool', '', 'text ' || g, 'row ' || g, g, now() FROM generate_series(0, %s - 1) AS g",
            [project.pk, n],
        )
    ids = np.fromiter(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True), np.int64)
    return project, ids


def running_version(project: Project, number: int) -> ModelVersion:
    return ModelVersion.objects.create(project=project, number=number, strategy="entropy",
                                       status=ModelVersion.Status.RUNNING)  # fmt: skip


def every_rank_a_row(version: ModelVersion, ids: np.ndarray, ranking: PoolRanking) -> None:
    with transaction.atomic():
        ItemScore.objects.bulk_create(
            (ItemScore(model_version=version, item_id=int(ids[row]), score=float(ranking.scores[row]), rank=rank)
             for rank, row in enumerate(ranking.order)),
            batch_size=2000,
        )  # fmt: skip
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.DONE)


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    call_command("migrate", verbosity=0)
    rows = []
    for n in (100_000, 1_000_000):
        project, ids = make_pool(n)
        rng = np.random.default_rng(0)
        cold = timed(lambda: next_item_candidate(project=project))  # noqa: B023
        rows.append({"n": n, "layout": "no model yet (cold-start order)", "switch_s": "", "next_item_s": round(cold, 4),
                     "score_rows": 0})  # fmt: skip
        for number, layout in enumerate(("every rank a row", "head + arrays", "head + arrays (second version)"), 1):
            scores = rng.random(n)
            ranking = PoolRanking(order=np.argsort(-scores, kind="stable"), scores=scores)
            version = running_version(project, number)
            if layout == "every rank a row":
                switch = timed(lambda: every_rank_a_row(version, ids, ranking))  # noqa: B023
            else:
                switch = timed(lambda: model_version_complete(
                    model_version=version, pool_item_ids=ids, ranking=ranking, labels_used=0,  # noqa: B023
                    metrics={}, artifact_path="none.pt"))  # fmt: skip
            next_item = timed(lambda: next_item_candidate(project=project))  # noqa: B023
            rows.append({"n": n, "layout": layout, "switch_s": round(switch, 3), "next_item_s": round(next_item, 4),
                         "score_rows": ItemScore.objects.filter(model_version__project=project).count()})  # fmt: skip
            print(rows[-1], flush=True)
        project.delete()
    summary = {"database": connection.vendor, "queue_head": settings.RANKING_QUEUE_HEAD}
    print(write("ranking-store", rows, summary))


if __name__ == "__main__":
    main()
