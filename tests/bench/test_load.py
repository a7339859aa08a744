"""The load benchmark, small: 10 annotators for 30 s against gunicorn, PostgreSQL, Redis and a
worker. Asserts what must hold at any speed (nothing duplicated, lost or 5xx); the times go to
bench/results/load.md from `python -m bench.load`."""

import pytest
from django.conf import settings

from bench.load import count, generate_load, prepare
from bench.stack import SETUPS, running
from tests.worker import _database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
                    reason="the production stack: PostgreSQL and Redis")  # fmt: skip
def test_ten_annotators_for_thirty_seconds_lose_and_duplicate_nothing(_isolated_files):
    prepared = prepare(name="load-test", annotators=10, items=600)

    with running(SETUPS["tuned"], database_url=_database_url(), redis_url=settings.REDIS_URL,
                 var_dir=_isolated_files, logs=_isolated_files / "load-logs") as stack:  # fmt: skip
        result = generate_load(stack.base_url, prepared.project_id, prepared.tokens, seconds=30)

    counts = count(prepared, result)
    assert counts.labels_saved > 50  # about one label per annotator per second, less the warm-up
    assert (counts.duplicates, counts.lost, counts.server_errors, counts.no_answer) == (0, 0, 0, 0)
    assert counts.labels_in_db == counts.labels_saved
    assert all(r[3] is not None for r in result["records"])  # every answer says its server time
    assert all(0 <= r[4] <= r[3] for r in result["records"])  # and the database's part of it
