"""The queries every item served and every label saved runs, written in SQL.

Serving an item asks for the best free item of the ranking and, once that item's row is locked,
whether it still has room, taking it if so. Built with the ORM, these cost 4.5 ms of CPU per
item served (most of it compiling five correlated subqueries), against 0.1 ms for PostgreSQL to
run them: with 50 annotators that was the server's largest single cost. The plainer statements
around them (expire leases, the serving version, the held items, the item and class a label
names, its idempotency key) cost the ORM 0.4-1.3 ms of CPU each to build, against 0.1-0.2 ms as
SQL, and each request runs five or six of them: together the rest of a request's CPU. Under
load each round trip to PostgreSQL also waits for a core, so statements that can go together
do (the candidate and its lock; the room check and the insert; an answer's item, class and key).

Here they are plain SQL with the same meaning, which tests/labeling/selectors/test_serving.py
checks against the ORM on the same data. They run on PostgreSQL and SQLite alike.
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from labeling.models import Assignment, Item, ItemScore, Label, LabelChange, LabelClass, ModelVersion, Skip

_LABEL, _HOLD, _SKIP, _ITEM, _SCORE = (m._meta.db_table for m in (Label, Assignment, Skip, Item, ItemScore))
_VERSION, _CLASS, _CHANGE = (m._meta.db_table for m in (ModelVersion, LabelClass, LabelChange))
_OPEN, _BAD, _EVAL = Assignment.Status.OPEN.value, Skip.Reason.BAD.value, Item.Split.EVAL.value
_POOL, _DONE = Item.Split.POOL.value, ModelVersion.Status.DONE.value


def _in(values: Sequence[object]) -> str:
    """Placeholders for `IN (...)` over `values` (SQLite has no arrays)."""
    return ", ".join(["%s"] * len(values))


def _moment(value: datetime) -> object:
    """A time as the ORM stores it (SQLite: naive UTC text), so SQL compares it with stored times."""
    return Assignment._meta.get_field("expires_at").get_db_prep_value(value, connection)


def free_items_come_locked() -> bool:
    """Whether the free-item draws below lock the row they return (PostgreSQL); SQLite, which
    runs one writer at a time, only reads."""
    return bool(connection.features.has_select_for_update_skip_locked)


def _lock_skip_locked() -> str:
    """Lock the item row found, passing over rows other transactions hold (see free_items_come_locked)."""
    return " FOR NO KEY UPDATE OF i SKIP LOCKED" if free_items_come_locked() else ""


def _free(item: str, annotator: str) -> str:
    """SQL conditions, for one label per item: nobody labeled or holds the item (column `item`),
    nobody skipped it as bad and the annotator (placeholder `annotator`) did not skip it."""
    return f"""NOT EXISTS (SELECT 1 FROM {_LABEL} l WHERE l.item_id = {item})
  AND NOT EXISTS (SELECT 1 FROM {_HOLD} a WHERE a.item_id = {item} AND a.status = '{_OPEN}')
  AND NOT EXISTS (SELECT 1 FROM {_SKIP} k WHERE k.item_id = {item}
                  AND (k.reason = '{_BAD}' OR k.annotator_id = {annotator}))"""


# The ranking's best free item that is not a gold item (gold_candidate serves those).
_TOP_FREE = f"""
SELECT i.* FROM {_SCORE} s JOIN {_ITEM} i ON i.id = s.item_id
WHERE s.model_version_id = %s
  AND {_free("s.item_id", "%s")}
  AND NOT EXISTS (SELECT 1 FROM {_ITEM} g WHERE g.id = s.item_id AND g.gold)
  {{exclude}}
ORDER BY s.rank LIMIT 1{{lock}}
"""


def top_free_item(*, version_id: int, annotator: AbstractBaseUser, exclude: Collection[int] = ()) -> Item | None:
    """The best-ranked free item of a version's ranking, for one label per item, its row locked
    for this transaction; None when none is left.

    Items whose rows another transaction holds (another top-up taking them) are passed over, so
    annotators asking at once get the next items instead of queueing on the first. The lock
    comes with the answer in one round trip; the item may still have filled up since this
    query's snapshot, which lease_take_if_room, a statement later, sees. SQLite, which runs one
    writer at a time, only reads.
    """
    return _first_free(_TOP_FREE, "s.item_id", version_id, annotator, exclude)


def _first_free(
    template: str, column: str, scope: int, annotator: AbstractBaseUser, exclude: Collection[int]
) -> Item | None:
    """Run a first-free-item query whose placeholders are `scope` (a version or project id), the
    annotator, then the ids to pass over (compared with `column`), locking as top_free_item does."""
    ids = [int(i) for i in exclude]
    clause = f"AND {column} NOT IN ({_in(ids)})" if ids else ""
    sql = template.format(exclude=clause, lock=_lock_skip_locked())
    return next(iter(Item.objects.raw(sql, [scope, annotator.pk, *ids])), None)


# The same free item in the cold-start order, before any ranking (or past its end).
_FIRST_COLD_FREE = f"""
SELECT i.* FROM {_ITEM} i
WHERE i.project_id = %s AND i.split = '{_POOL}' AND NOT i.gold
  AND {_free("i.id", "%s")}
  {{exclude}}
ORDER BY i.cold_rank, i.id LIMIT 1{{lock}}
"""


def first_cold_free_item(*, project_id: int, annotator: AbstractBaseUser, exclude: Collection[int] = ()) -> Item | None:
    """The first free pool item in the cold-start order, for one label per item, locked as
    top_free_item locks. Fifty annotators starting on a project all ask for it until the first
    ranking arrives; with the ORM's query and a wait on the row each of them queued on the same
    first item (bench.load)."""
    return _first_free(_FIRST_COLD_FREE, "i.id", project_id, annotator, exclude)


# The first free pool item whose draw_key is at least a random point.
_UNIFORM_FREE = f"""
SELECT i.* FROM {_ITEM} i
WHERE i.project_id = %(project)s AND i.split = '{_POOL}' AND NOT i.gold AND i.draw_key >= %(point)s
  AND {_free("i.id", "%(annotator)s")}
ORDER BY i.draw_key, i.id LIMIT 1{{lock}}
"""


def uniform_free_item(*, project_id: int, annotator: AbstractBaseUser, point: float) -> Item | None:
    """A free pool item drawn uniformly at random, for one label per item, locked as top_free_item
    locks: the first free one in draw_key order from `point` (uniform in [0, 1)) on, wrapping
    around to the start.

    Each item's draw_key is a uniform random number fixed at creation, so the free items are a
    random order of their own: nothing the ranking or the cold-start order took clusters in it.
    Drawing by id instead needed the pool's id range first, and PostgreSQL's plans for both
    scans walked other projects' rows and the whole label index (30-130 ms under load).
    """
    sql = _UNIFORM_FREE.format(lock=_lock_skip_locked())
    for start in (point, 0.0) if point > 0 else (0.0,):
        params = {"project": project_id, "annotator": annotator.pk, "point": start}
        item = next(iter(Item.objects.raw(sql, params)), None)
        if item is not None:
            return item
    return None


# A new lease on a locked item, only when the annotator has no label or open hold on it and its
# labels plus open holds are under labels_per_item (gold items: every annotator answers once).
_TAKE = f"""
INSERT INTO {_HOLD} (item_id, annotator_id, status, model_version_id, created_at, expires_at)
SELECT %(item)s, %(annotator)s, '{_OPEN}', %(version)s, %(now)s, %(expires)s
WHERE NOT EXISTS (SELECT 1 FROM {_LABEL} WHERE item_id = %(item)s AND annotator_id = %(annotator)s)
  AND NOT EXISTS (SELECT 1 FROM {_HOLD} WHERE item_id = %(item)s AND annotator_id = %(annotator)s
                  AND status = '{_OPEN}')
  AND (%(gold)s OR (SELECT COUNT(*) FROM {_LABEL} WHERE item_id = %(item)s)
                 + (SELECT COUNT(*) FROM {_HOLD} WHERE item_id = %(item)s AND status = '{_OPEN}') < %(places)s)
RETURNING *
"""


def lease_take_if_room(
    *,
    item_id: int,
    annotator: AbstractBaseUser,
    version_id: int | None,
    expires: datetime,
    gold: bool,
    labels_per_item: int,
) -> Assignment | None:
    """A new open lease on the item for the annotator, or None when it has no room for them: they
    labeled or hold it, or (not gold) its labels and open holds reached `labels_per_item`.

    Checking and inserting are one statement. The caller must hold the item's row lock, taken
    in an earlier statement, so that this statement's snapshot sees every lease committed on it.
    """
    params = {"item": item_id, "annotator": annotator.pk, "version": version_id, "now": _moment(timezone.now()),
              "expires": _moment(expires), "gold": gold, "places": labels_per_item}  # fmt: skip
    return next(iter(Assignment.objects.raw(_TAKE, params)), None)


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


# --- the leases --------------------------------------------------------------------------------

_EXPIRE = f"""
UPDATE {_HOLD} SET status = '{Assignment.Status.EXPIRED.value}'
WHERE status = '{_OPEN}' AND expires_at < %s AND item_id IN (SELECT id FROM {_ITEM} WHERE project_id = %s)
"""


def leases_expire(*, project_id: int, now: datetime) -> int:
    """Mark the project's open leases that ran out before `now` expired; how many."""
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE, [_moment(now), project_id])
        return cursor.rowcount


# Renewing and reading the held leases is one statement; RETURNING has no order, the caller sorts.
_HELD_RENEW = f"""
UPDATE {_HOLD} SET expires_at = %s
WHERE annotator_id = %s AND status = '{_OPEN}' AND item_id IN (SELECT id FROM {_ITEM} WHERE project_id = %s)
RETURNING *
"""


def held_leases_renew(*, project_id: int, annotator: AbstractBaseUser, expires: datetime) -> list[Assignment]:
    """The annotator's open leases in the project, renewed until `expires`, oldest first, each
    with its item loaded."""
    renewed = Assignment.objects.raw(_HELD_RENEW, [_moment(expires), annotator.pk, project_id])
    leases = sorted(renewed, key=lambda a: (a.created_at, a.pk))
    if leases:
        ids = [lease.item_id for lease in leases]
        items = {item.pk: item for item in Item.objects.raw(f"SELECT * FROM {_ITEM} WHERE id IN ({_in(ids)})", ids)}
        for lease in leases:
            lease.item = items[lease.item_id]
    return leases


def leases_set_status(*, lease_ids: Sequence[int], status: str) -> None:
    """Close leases (done or expired) by id."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_HOLD} SET status = %s WHERE id IN ({_in(lease_ids)})", [status, *lease_ids])


def lease_close(*, item_id: int, annotator: AbstractBaseUser) -> bool:
    """Close the annotator's open lease on the item as done; whether there was one."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_HOLD} SET status = '{Assignment.Status.DONE.value}' "
            f"WHERE item_id = %s AND annotator_id = %s AND status = '{_OPEN}'",
            [item_id, annotator.pk],
        )
        return cursor.rowcount > 0


def item_lock(*, item_id: int, wait: bool) -> bool | None:
    """Lock the item's row for this transaction; whether it is a gold item, or None when `wait`
    is False and another transaction holds the lock.

    The item's row alone: with the ORM, Item's default ordering joined Project and a plain FOR
    UPDATE locked the project row too, so every other top-up skipped every item. FOR NO KEY UPDATE,
    not FOR UPDATE: a retrain publishing its ranking holds KEY SHARE locks on item rows (the
    foreign-key checks of its ItemScore rows), which FOR UPDATE waits for; with a second item
    locked that was a deadlock that failed the retrain (bench.load, 50 annotators). SQLite runs
    one writing transaction at a time, so there it only reads.
    """
    lock = " FOR NO KEY UPDATE" + ("" if wait else " SKIP LOCKED") if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT gold FROM {_ITEM} WHERE id = %s{lock}", [item_id])
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


# --- the model versions ------------------------------------------------------------------------

# Only what serving reads; the rest of the row (metrics, paths) loads if something asks for it.
_VERSION_COLUMNS = "id, project_id, number, status, labels_used"


def version_serving(*, project_id: int) -> ModelVersion | None:
    """The project's newest finished model version (id, number, status and labels used)."""
    rows = ModelVersion.objects.raw(
        f"SELECT {_VERSION_COLUMNS} FROM {_VERSION} WHERE project_id = %s AND status = '{_DONE}' "
        "ORDER BY number DESC LIMIT 1",
        [project_id],
    )
    return next(iter(rows), None)


def version_newest(*, project_id: int) -> ModelVersion | None:
    """The project's newest model version, whatever its status (id, number, status, labels used)."""
    rows = ModelVersion.objects.raw(
        f"SELECT {_VERSION_COLUMNS} FROM {_VERSION} WHERE project_id = %s ORDER BY number DESC LIMIT 1", [project_id]
    )
    return next(iter(rows), None)


# --- what a label names ------------------------------------------------------------------------


def pool_item(*, project_id: int, item_id: int) -> Item | None:
    """The project's pool item with this id, or None."""
    rows = Item.objects.raw(
        f"SELECT * FROM {_ITEM} WHERE id = %s AND project_id = %s AND split = '{_POOL}'", [item_id, project_id]
    )
    return next(iter(rows), None)


def label_class_named(*, project_id: int, name: str) -> LabelClass | None:
    """The project's class called `name`, or None."""
    rows = LabelClass.objects.raw(f"SELECT * FROM {_CLASS} WHERE project_id = %s AND name = %s", [project_id, name])
    return next(iter(rows), None)


# What an answer names, in one round trip: the project's pool item, the class called by name (NULL
# columns when the project has none of that name) and whether the idempotency key was used before.
_ANSWER_TARGET = f"""
SELECT i.*, c.id AS class_id, c.name AS class_name, c.position AS class_position, c.key AS class_key,
       c.description AS class_description,
       EXISTS (SELECT 1 FROM {_CHANGE} WHERE idempotency_key = %(key)s)
    OR EXISTS (SELECT 1 FROM {_SKIP} WHERE idempotency_key = %(key)s) AS key_used
FROM {_ITEM} i LEFT JOIN {_CLASS} c ON c.project_id = i.project_id AND c.name = %(class)s
WHERE i.id = %(item)s AND i.project_id = %(project)s AND i.split = '{_POOL}'
"""
_CLASS_FIELDS = ["id", "project_id", "name", "position", "key", "description"]


@dataclass(frozen=True)
class AnswerTarget:
    item: Item
    label_class: LabelClass | None  # None when no class was asked for, or the project has none of that name
    key_used: bool  # an answer was saved with the request's idempotency key before


def answer_target(
    *, project_id: int, item_id: int, class_name: str | None, key: uuid.UUID | None
) -> AnswerTarget | None:
    """The pool item an answer names, its class and whether its key was used, in one query; None
    when the project has no pool item with that id. Every answer asks these three first."""
    value = LabelChange._meta.get_field("idempotency_key").get_db_prep_value(key, connection)
    params = {"key": value, "class": class_name, "item": item_id, "project": project_id}
    item = next(iter(Item.objects.raw(_ANSWER_TARGET, params)), None)
    if item is None:
        return None
    label_class = None
    if item.class_id is not None:
        values = [item.class_id, project_id, item.class_name, item.class_position, item.class_key]
        values.append(item.class_description)
        label_class = LabelClass.from_db(item._state.db, _CLASS_FIELDS, values)
    return AnswerTarget(item, label_class, bool(item.key_used))
