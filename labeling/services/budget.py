"""The label budget, kept as counters on the project row.

Counting a project's labels on every item served and every label saved grows with the project
(3 ms at 5,000 labels, and the dashboard's distinct count of labeled items 13 ms), and 50
annotators ask about twice a second each. So the services that write labels keep two counters on
the Project row in the same transaction instead:

- `labels_spent`: labels counted against the budget (not answers on gold items). A new label
  raises it with a conditional UPDATE, which is also the budget check: two annotators taking the
  last label cannot both pass, because the second UPDATE waits for the first's row lock and then
  finds the budget spent.
- `labels_given`: labels and gold answers ever given, never lowered. A retrain is due only when
  `retrain_every` more items are labeled than the newest version saw, and that number is at most
  the labels given since it was queued: a cheap test that skips the exact count on 19 labels of 20.

`labels_recount` rebuilds `labels_spent` from the label rows, for the rare writes that change
what counts (unmarking gold items) and for data written outside these services.
"""

from django.db import connection
from django.db.models import F

from labeling.exceptions import BudgetReachedError
from labeling.models import Label, Project


def _reached(spent: int, budget: int) -> BudgetReachedError:
    return BudgetReachedError(
        f"The project has used its label budget ({spent} of {budget} labels). "
        "An admin can raise the budget on the dashboard; until then no more items are served.",
        {"labels_spent": spent, "label_budget": budget},
    )


def budget_check(*, project: Project) -> None:
    """BudgetReachedError once the project (as loaded) has spent its label budget."""
    if project.labels_spent >= project.label_budget:
        raise _reached(project.labels_spent, project.label_budget)


_SPEND = f"""
UPDATE {Project._meta.db_table} SET labels_spent = labels_spent + 1, labels_given = labels_given + 1
WHERE id = %s AND labels_spent < label_budget
RETURNING labels_spent, labels_given, labels_given_at_retrain, label_budget
"""


def budget_spend(*, project: Project) -> None:
    """Count one new label, or raise BudgetReachedError (and the caller's transaction rolls back).

    Locks the project row until the caller commits: call it last in the transaction. One round
    trip on every label (RETURNING runs on PostgreSQL and SQLite alike); `project` is refreshed.
    """
    with connection.cursor() as cursor:
        cursor.execute(_SPEND, [project.pk])
        row = cursor.fetchone()
    if row is None:
        _refresh(project)
        raise _reached(project.labels_spent, project.label_budget)
    project.labels_spent, project.labels_given, project.labels_given_at_retrain, project.label_budget = row


def budget_count_given(*, project: Project, n: int) -> None:
    """Count answers that cost no budget but may still train the model (gold answers marked)."""
    Project.objects.filter(pk=project.pk).update(labels_given=F("labels_given") + n)
    _refresh(project)


def budget_refund(*, project: Project) -> None:
    """A label withdrawn (undone, or turned into a skip) no longer counts against the budget."""
    Project.objects.filter(pk=project.pk, labels_spent__gt=0).update(labels_spent=F("labels_spent") - 1)
    _refresh(project)


def labels_recount(*, project: Project) -> int:
    """Set `labels_spent` from the label rows; the count."""
    spent = Label.objects.filter(item__project=project, item__gold=False).count()
    Project.objects.filter(pk=project.pk).update(labels_spent=spent)
    project.labels_spent = spent
    return spent


def _refresh(project: Project) -> None:
    fields = ("labels_spent", "labels_given", "labels_given_at_retrain", "label_budget")
    for field, value in zip(fields, Project.objects.values_list(*fields).get(pk=project.pk), strict=True):
        setattr(project, field, value)
