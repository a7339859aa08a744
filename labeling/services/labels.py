"""Answers: label an item, skip it, change an answer, undo it. Nothing is ever lost.

An annotator answers only items they hold (labeling.services.assignments), or changes an answer
of their own, naming the answer they saw (`previous`): a second tab still showing an item that
the first tab answered gets ItemNotHeldError (HTTP 409), never a silent overwrite. Every change of
a label is written to LabelChange. A request carries the page's `idempotency_key`, so a retry
after a lost connection is applied once.
"""

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from labeling.exceptions import InvalidSkipError, ItemNotHeldError, ItemNotInProjectError
from labeling.models import Assignment, Item, Label, LabelChange, Project, Skip
from labeling.selectors.answers import Answer, answer_current, answer_of_label
from labeling.selectors.projects import label_class_by_name
from labeling.selectors.serving import AnswerTarget, answer_target, lease_close, pool_item
from labeling.services.assignments import assignment_hold
from labeling.services.budget import budget_refund, budget_spend
from labeling.services.training import model_version_request


@dataclass(frozen=True)
class Saved:
    answer: Answer
    created: bool  # False when an idempotency key was seen before: nothing new was written


def _not_in_project(project: Project, item_id: int) -> ItemNotInProjectError:
    return ItemNotInProjectError(
        f"Item {item_id} is not a labelable item of project {project.name!r}.",
        {"item": item_id, "project": project.pk},
    )


def _pool_item(project: Project, item_id: int) -> Item:
    item = pool_item(project_id=project.pk, item_id=item_id)
    if item is None:
        raise _not_in_project(project, item_id)
    return item


def _target(
    project: Project, item_id: int, class_name: str | None, idempotency_key: uuid.UUID | None
) -> AnswerTarget:
    """The pool item an answer names, with the class it names and whether its key was used."""
    target = answer_target(project_id=project.pk, item_id=item_id, class_name=class_name, key=idempotency_key)
    if target is None:
        raise _not_in_project(project, item_id)
    return target


def _claim(project: Project, item: Item, annotator: AbstractBaseUser, previous: dict[str, str] | None) -> Answer | None:
    """Check the annotator may answer `item` now, and close their lease on it; their current
    answer, which `previous` named.

    Allowed: an item they hold, an answer of theirs that `previous` names as it is now, or an
    item whose lease they lost while nobody else took it. Anything else is ItemNotHeldError (and
    the caller's transaction, the closed lease with it, rolls back).

    A held item has no answer of the annotator's (answering closes the lease, and an item they
    answered is never leased to them again), so the common case is one statement: closing the lease.
    """
    if previous is None and _close(item, annotator):
        return None
    current = answer_current(item_id=item.pk, annotator=annotator)
    if current is not None:
        if not current.matches(previous):
            shown = f"labeled {current.label!r}" if current.kind == "label" else f"skipped ({current.reason})"
            at = timezone.localtime(current.at)
            raise ItemNotHeldError(
                f"Item {item.pk} was already {shown} at {at:%H:%M:%S}, in another tab or window. "
                "Nothing was changed: reopen it from your history to change the answer.",
                {"item": item.pk, "current": current.as_dict()},
            )
        _close(item, annotator)  # none is expected here; a stray one would outlive the answer
        return current
    if previous is not None and _close(item, annotator):
        return None
    was_given = Assignment.objects.filter(item=item, annotator=annotator).exists()
    if not was_given or assignment_hold(project=project, annotator=annotator, item_id=item.pk) is None:
        reason = "it was not given to you" if not was_given else "your hold on it ran out and it went to someone else"
        raise ItemNotHeldError(
            f"Item {item.pk} is not yours to label: {reason}. Nothing was saved.", {"item": item.pk}
        )
    _close(item, annotator)
    return None


def _replayed(target: AnswerTarget, annotator: AbstractBaseUser) -> Saved | None:
    """The answer already saved for this request's idempotency key, if this request is a retry."""
    current = answer_current(item_id=target.item.pk, annotator=annotator) if target.key_used else None
    return Saved(current, created=False) if current is not None else None


def _close(item: Item, annotator: AbstractBaseUser) -> bool:
    """Close the annotator's open lease on the item; whether there was one."""
    return lease_close(item_id=item.pk, annotator=annotator)


@transaction.atomic
def label_submit(
    *,
    project: Project,
    item_id: int,
    annotator: AbstractBaseUser,
    class_name: str,
    duration_ms: int = 0,
    previous: dict[str, str] | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> Saved:
    """Label an item the annotator holds, or change their answer `previous` into this label.

    A new label counts against the budget (BudgetReachedError at the budget); a changed label
    does not. Closes the lease and queues a retrain when one is due.
    """
    target = _target(project, item_id, class_name, idempotency_key)
    item = target.item
    # No class of that name: label_class_by_name raises UnknownLabelClassError, naming the classes.
    label_class = target.label_class or label_class_by_name(project=project, name=class_name)
    replay = _replayed(target, annotator)
    if replay is not None:
        return replay
    current = _claim(project, item, annotator, previous)
    label = Label.objects.get(item=item, annotator=annotator) if current and current.kind == "label" else None
    changed = label is None or label.label_class_id != label_class.pk
    if label is None:
        saved_row = Label.objects.create(
            item=item, annotator=annotator, label_class=label_class, duration_ms=duration_ms
        )
    else:
        if changed:
            Label.objects.filter(pk=label.pk).update(label_class=label_class, duration_ms=duration_ms)
        saved_row = label
    if current is not None and current.kind == "skip":  # a skip turned into a label
        Skip.objects.filter(item=item, annotator=annotator).delete()
    if changed:
        LabelChange.objects.create(
            item=item, annotator=annotator, changed_by=annotator, label_class=label_class,
            previous_class=label.label_class if label is not None else None, idempotency_key=idempotency_key,
        )  # fmt: skip
    saved_row.item, saved_row.label_class = item, label_class
    saved = Saved(answer_of_label(saved_row), created=True)
    if label is None and not item.gold:  # gold answers check the annotator; they cost no budget
        # Last: it locks the project row until the commit, so two annotators cannot both take the
        # last label. Under load, labels queued on this lock for their whole transaction when it
        # came first (the p95 of a label POST was mostly this wait).
        budget_spend(project=project)
        model_version_request(project=project)
    return saved


@transaction.atomic
def item_skip(
    *,
    project: Project,
    item_id: int,
    annotator: AbstractBaseUser,
    reason: str,
    note: str = "",
    previous: dict[str, str] | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> Saved:
    """Skip an item the annotator holds (or turn their answer `previous` into a skip).

    Skipped items are never trained on: they have no label. "unsure" and "note" items may go to
    another annotator; "bad" items leave everyone's queue.
    """
    target = _target(project, item_id, None, idempotency_key)
    item = target.item
    if reason not in Skip.Reason.values:
        raise InvalidSkipError(
            f"Unknown skip reason {reason!r}; reasons are {list(Skip.Reason.values)}.", {"reason": reason}
        )
    note = note.strip()
    if reason == Skip.Reason.NOTE and not note:
        raise InvalidSkipError("A skip with a note needs the note's text.", {"reason": reason})
    replay = _replayed(target, annotator)
    if replay is not None:
        return replay
    current = _claim(project, item, annotator, previous)
    if current is not None and current.kind == "label":
        old = Label.objects.get(item=item, annotator=annotator)
        LabelChange.objects.create(
            item=item, annotator=annotator, changed_by=annotator, label_class=None, previous_class=old.label_class
        )
        old.delete()
        if not item.gold:
            budget_refund(project=project)
    Skip.objects.update_or_create(
        item=item, annotator=annotator,
        defaults={"reason": reason, "note": note[:500], "idempotency_key": idempotency_key},
    )  # fmt: skip
    return Saved(answer_current(item_id=item.pk, annotator=annotator), created=True)  # type: ignore[arg-type]


@transaction.atomic
def answer_undo(*, project: Project, item_id: int, annotator: AbstractBaseUser) -> Assignment:
    """Withdraw the annotator's answer for the item and hold the item again, to answer anew.

    The withdrawn label stays in LabelChange. Undoing twice is harmless: an item the annotator
    already holds with no answer is simply returned. ItemNotHeldError if the item has no answer of
    theirs and they do not hold it.
    """
    item = _pool_item(project, item_id)
    label = Label.objects.filter(item=item, annotator=annotator).select_related("label_class").first()
    if label is not None:
        LabelChange.objects.create(
            item=item, annotator=annotator, changed_by=annotator, label_class=None, previous_class=label.label_class
        )
        label.delete()
        if not item.gold:
            budget_refund(project=project)
    undone = label is not None or Skip.objects.filter(item=item, annotator=annotator).delete()[0] > 0
    held = Assignment.objects.filter(item=item, annotator=annotator, status=Assignment.Status.OPEN).first()
    if held is None and undone:
        held = assignment_hold(project=project, annotator=annotator, item_id=item.pk)
    if held is None and undone:
        raise ItemNotHeldError(
            f"Item {item.pk} went to another annotator after you skipped it; your skip stays.", {"item": item.pk}
        )
    if held is None:
        raise ItemNotHeldError(f"Nothing to undo for item {item.pk}: it has no answer of yours.", {"item": item.pk})
    return held
