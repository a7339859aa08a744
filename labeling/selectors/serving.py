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

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from labeling.models import Assignment, Item, ItemScore, Label, Skip

_LABEL, _HOLD, _SKIP, _ITEM, _SCORE = (m._meta.db_table for m in (Label, Assignment, Skip, Item, ItemScore))
_OPEN, _BAD = Assignment.Status.OPEN.value, Skip.Reason.BAD.value

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
