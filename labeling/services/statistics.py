"""Planner statistics after bulk writes (PostgreSQL).

A table filled in one go (an import, a new ranking's head) is unknown to the planner until
autovacuum analyzes it, a minute or more later; meanwhile it plans for an empty table and sorts
every candidate for each next item instead of walking the index (50 ms at 3,000 items, over a
second for a fresh ranking under load, against 0.1 ms). Analyzing right after the commit fixes that.
"""

from django.db import connection, models, transaction


def table_analyze_on_commit(model: type[models.Model]) -> None:
    """ANALYZE the model's table once the current transaction commits; nothing on other databases."""
    if connection.vendor != "postgresql":
        return

    def analyze() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    transaction.on_commit(analyze)
