"""Which items an annotator holds: leases on the next few items of the queue.

The annotator's page shows one item and preloads the next few, so each annotator holds up to
`project.prefetch` items at once, each leased until `expires_at`. Fetching the queue renews the
leases; a lease that runs out sends its item back to the pool. One annotator's tabs share the
same held items: topping up locks the annotator's row first, so two tabs never hold more than
`prefetch` between them.

An item goes to `labels_per_item` distinct annotators: taking one locks the item's row and
counts its labels and open holds, so however many annotators ask at once the sum never passes
`labels_per_item` (with the default of 1, two annotators never hold the same item). A partial
unique index keeps one open hold per item and annotator. Gold items (known answers) are mixed
in at `gold_rate` and go to every annotator once, whatever labels_per_item says.
"""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from labeling.models import Assignment, Item, ModelVersion, Project
from labeling.selectors.items import (
    Candidate,
    audit_candidate,
    audit_due,
    gold_candidate,
    gold_due,
    model_version_serving,
    ranked_candidate,
)
from labeling.selectors.serving import (
    annotator_lock_for_leases,
    held_leases_renew,
    item_lock,
    lease_take_if_room,
    leases_expire,
    leases_set_status,
    serving_schedule,
)
from labeling.services.budget import budget_check

_RACE_RETRIES = 5


def lease_ttl() -> timedelta:
    return timedelta(seconds=settings.ANNOTATION_LEASE_SECONDS)


def assignments_expire(*, project: Project) -> int:
    """Send items whose lease ran out back to the pool; how many."""
    return leases_expire(project_id=project.pk, now=timezone.now())


@transaction.atomic
def assignment_queue(*, project: Project, annotator: AbstractBaseUser, size: int | None = None) -> list[Assignment]:
    """The items this annotator holds, oldest first, topped up to `size` (default `project.prefetch`),
    leases renewed.

    Without evaluation items, `project.audit_fraction` of the items served are audit items, drawn
    uniformly at random (labeling.selectors.items.audit_due). When a newer model version ranks
    the pool than the one that chose a held item, the held items
    behind the first (which the page is showing) go back to the pool, so the new ranking's best
    items come next. Raises BudgetReachedError at the budget: no more items are served until an
    admin raises it.
    """
    budget_check(project=project)
    annotator_lock_for_leases(annotator=annotator)
    assignments_expire(project=project)
    expires = timezone.now() + lease_ttl()
    serving = model_version_serving(project=project)
    queue = _held_renewed(project, annotator, serving, expires)
    wanted = size or project.prefetch
    if len(queue) >= wanted:
        return queue
    retries = _RACE_RETRIES
    locked_an_item = False  # this top-up holds an item row's lock: from then on it never waits for another
    passed: set[int] = set()  # items passed over in this top-up: full, or another annotator was taking them
    rng = random.Random()  # audit and gold draws are uniform; they need no seed to be unbiased
    schedule = serving_schedule(project_id=project.pk, annotator=annotator)
    golds, audits = schedule.has_gold and project.gold_rate > 0, not schedule.has_eval and project.audit_fraction > 0
    served = schedule.served
    while len(queue) < wanted and retries:
        gold = audit = None
        if golds and gold_due(project=project, served=served):
            gold = gold_candidate(project=project, annotator=annotator, rng=rng)
        if gold is None and audits and audit_due(project=project, served=served):
            audit = audit_candidate(project=project, annotator=annotator, rng=rng)
        picked = Candidate(gold, None, locked=False) if gold is not None else audit
        candidate = picked or ranked_candidate(project=project, version=serving, annotator=annotator, exclude=passed)
        if candidate is None:
            break
        item = candidate.item
        lease, busy = _take(project, candidate, annotator, expires, wait=not locked_an_item)
        locked_an_item = locked_an_item or not busy
        if lease is None:
            passed.add(item.pk)
            # An item another top-up is taking right now is passed over for free (the next
            # candidate excludes it), so twelve annotators asking at once all get items; a
            # random audit or gold draw, which `passed` does not steer, or an item that filled
            # up meanwhile, uses up one of the few retries.
            retries -= 0 if busy and picked is None else 1
            continue
        if audit is not None:  # from now on a measuring item: never trained on
            Item.objects.filter(pk=item.pk).update(audit=True)
            item.audit = True
        lease.item = item
        queue.append(lease)
        served.add(item)
    return queue


def _held_renewed(
    project: Project, annotator: AbstractBaseUser, serving: ModelVersion | None, expires: datetime
) -> list[Assignment]:
    """The items the annotator holds, oldest first, their leases renewed until `expires`; those
    behind the first that an older version chose go back to the pool."""
    queue = held_leases_renew(project_id=project.pk, annotator=annotator, expires=expires)
    stale = [a.pk for a in queue[1:] if serving is not None and a.model_version_id != serving.pk]
    if stale:
        leases_set_status(lease_ids=stale, status=Assignment.Status.EXPIRED)
        queue = [a for a in queue if a.pk not in stale]
    for assignment in queue:
        if serving is not None and assignment.model_version_id == serving.pk:
            assignment.model_version = serving  # the response names it; spare the query
    return queue


def _take(
    project: Project, candidate: Candidate, annotator: AbstractBaseUser, expires: datetime, *, wait: bool = True
) -> tuple[Assignment | None, bool]:
    """(a new lease on the candidate item, or None when it has no room left for this annotator;
    whether another transaction was taking the item at this moment).

    Locks the item's row (unless the candidate came locked), then counts its labels and open
    holds against labels_per_item; gold items only need the annotator not to have answered. With
    `wait` it waits for a top-up that is taking the item and counts what that one committed;
    without, it skips the item. Callers wait only while they hold no other item's lock (taken or
    found full), so two top-ups never wait on each other (no deadlock) and every annotator gets a
    first item when one has room.
    """
    item = candidate.item
    gold = item.gold if candidate.locked else item_lock(item_id=item.pk, wait=wait)
    if gold is None:
        return None, True
    lease = lease_take_if_room(
        item_id=item.pk, annotator=annotator, version_id=candidate.version.pk if candidate.version else None,
        expires=expires, gold=gold, labels_per_item=project.labels_per_item,
    )  # fmt: skip
    if lease is not None and candidate.version is not None:
        lease.model_version = candidate.version  # the response names it; spare the query
    return lease, False


def assignment_hold(*, project: Project, annotator: AbstractBaseUser, item_id: int) -> Assignment | None:
    """This annotator's open lease on the item, taken again if it expired and the item still has
    room (labels_per_item); None if others have taken its places since."""
    lease = Assignment.objects.filter(
        item_id=item_id, item__project=project, annotator=annotator, status=Assignment.Status.OPEN
    ).first()
    expires = timezone.now() + lease_ttl()
    if lease is not None:
        Assignment.objects.filter(pk=lease.pk).update(expires_at=expires)
        return lease
    assignments_expire(project=project)
    item = Item.objects.filter(pk=item_id, project=project).first()
    if item is None:
        return None
    with transaction.atomic():
        return _take(project, Candidate(item, None, locked=False), annotator, expires)[0]


def assignment_next(*, project: Project, annotator: AbstractBaseUser) -> Assignment | None:
    """The item this annotator should label now (the oldest they hold), or None when nothing is left.

    For scripts that label one item at a time: it holds no more than it hands out.
    """
    queue = assignment_queue(project=project, annotator=annotator, size=1)
    return queue[0] if queue else None
