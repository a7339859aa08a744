"""The two queries every item served runs, written in SQL.

Serving an item asks for the best free item of the ranking and, once that item's row is locked,
how many of its places are taken. Built with the ORM, these two cost 4.5 ms of CPU per item
served (most of it compiling five correlated subqueries), against 0.1 ms for PostgreSQL to run
them: with 50 annotators that is the server's largest single cost. Here they are plain SQL with
the same meaning, which tests/labeling/selectors/test_serving.py checks against ORM versions of
them on the same data. They run on PostgreSQL
and SQLite alike.
"""

from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from labeling.models import Assignment, Item, ItemScore, Label, Skip

_LABEL, _HOLD, _SKIP, _ITEM, _SCORE = (m._meta.db_table for m in (Label, Assignment, Skip, Item, ItemScore))
_OPEN, _BAD, _EVAL = Assignment.Status.OPEN.value, Skip.Reason.BAD.value, Item.Split.EVAL.value

# The ranking's best item that nobody labeled or holds, that nobody skipped as bad and the
# annotator did not skip, and that is not a gold item (gold_candidate serves those).
_TOP_FREE = f"""
SELECT i.* FROM {_SCORE} s JOIN {_ITEM} i ON i.id = s.item_id
WHERE s.model_version_id = %s
  AND NOT EXISTS (SELECT 1 FROM {_LABEL} l WHERE l.item_id = s.item_id)
  AND NOT EXISTS (SELECT 1 FROM {_HOLD} a WHERE a.item_id = s.item_id AND a.status = '{_OPEN}')
  AND NOT EXISTS (SELECT 1 FROM {_SKIP} k WHERE k.item_id = s.item_id AND (k.reason = '{_BAD}' OR k.annotator_id = %s))
  AND NOT EXISTS (SELECT 1 FROM {_ITEM} g WHERE g.id = s.item_id AND g.gold)
  {{exclude}}
ORDER BY s.rank LIMIT 1
"""

# An item's labels plus open holds, and whether one of them is the annotator's.
_PLACES = f"""
SELECT (SELECT COUNT(*) FROM {_LABEL} WHERE item_id = %(item)s)
     + (SELECT COUNT(*) FROM {_HOLD} WHERE item_id = %(item)s AND status = '{_OPEN}'),
       EXISTS (SELECT 1 FROM {_LABEL} WHERE item_id = %(item)s AND annotator_id = %(annotator)s)
    OR EXISTS (SELECT 1 FROM {_HOLD} WHERE item_id = %(item)s AND annotator_id = %(annotator)s AND status = '{_OPEN}')
"""


def top_free_item(*, version_id: int, annotator: AbstractBaseUser, exclude: Collection[int] = ()) -> Item | None:
    """The best-ranked free item of a version's ranking, for one label per item; None when none is left."""
    ids = [int(i) for i in exclude]
    clause = f"AND s.item_id NOT IN ({', '.join(['%s'] * len(ids))})" if ids else ""
    return next(iter(Item.objects.raw(_TOP_FREE.format(exclude=clause), [version_id, annotator.pk, *ids])), None)


@dataclass(frozen=True)
class Places:
    taken: int  # the item's labels and open holds, against labels_per_item
    mine: bool  # one of them is the annotator's


def places_taken(*, item_id: int, annotator: AbstractBaseUser) -> Places:
    """An item's labels and open holds, and whether one is the annotator's, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_PLACES, {"item": item_id, "annotator": annotator.pk})
        taken, mine = cursor.fetchone()
    return Places(int(taken), bool(mine))


# Whether the project has gold and evaluation items, and what the annotator was served so far.
_SCHEDULE = f"""
SELECT EXISTS (SELECT 1 FROM {_ITEM} WHERE project_id = %(project)s AND gold),
       EXISTS (SELECT 1 FROM {_ITEM} WHERE project_id = %(project)s AND split = '{_EVAL}'),
       COUNT(DISTINCT a.item_id),
       COUNT(DISTINCT CASE WHEN i.gold THEN a.item_id END),
       COUNT(DISTINCT CASE WHEN i.audit THEN a.item_id END)
FROM {_HOLD} a JOIN {_ITEM} i ON i.id = a.item_id
WHERE a.annotator_id = %(annotator)s AND i.project_id = %(project)s
"""


@dataclass
class Served:
    """What one annotator has been served in a project: distinct items, and how many were gold
    or audit items. The schedule reads it once per top-up and counts on in memory."""

    items: int
    gold: int
    audit: int

    def add(self, item: Item) -> None:
        self.items += 1
        self.gold += item.gold
        self.audit += item.audit


@dataclass(frozen=True)
class Schedule:
    has_gold: bool  # gold items are marked in the project
    has_eval: bool  # the project has evaluation items (then it serves no audit items)
    served: Served  # to this annotator so far


def serving_schedule(*, project_id: int, annotator: AbstractBaseUser) -> Schedule:
    """What decides whether the next item is a gold or an audit item, in one query; the served
    counts read only the annotator's own assignments, so they grow with their work, not the project's."""
    with connection.cursor() as cursor:
        cursor.execute(_SCHEDULE, {"project": project_id, "annotator": annotator.pk})
        has_gold, has_eval, items, gold, audit = cursor.fetchone()
    return Schedule(bool(has_gold), bool(has_eval), Served(int(items), int(gold), int(audit)))


def annotator_lock_for_leases(*, annotator: AbstractBaseUser) -> None:
    """Lock the annotator's row for this transaction (one top-up at a time across their tabs) and
    let the transaction commit without waiting for its WAL to reach the disk, in one round trip.

    Leases are soft state: one lost in a database crash only sends its item back to the pool (the
    annotator's answer then gets a clear 409 and the page fetches its queue again). Labels still
    commit durably, and a label's durable commit also flushes every lease written before it.
    SQLite needs neither: its IMMEDIATE transactions already run one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    users = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT set_config('synchronous_commit', 'off', true) FROM {users} WHERE id = %s FOR NO KEY UPDATE",
            [annotator.pk],
        )
