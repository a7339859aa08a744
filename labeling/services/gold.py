"""Gold items: pool items an owner marks with a known answer, mixed into every annotator's queue
at the project's gold_rate to measure each annotator's accuracy (labeling.selectors.items).

Answers on gold items are kept like any label but never count as one: not against the budget,
not in resolution, agreement, training or exports; the model may train on the known answer
itself. Only items nobody has labeled can be marked, so every annotator answers them blind.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count

from labeling.exceptions import InvalidGoldError
from labeling.models import Item, Label, Project
from labeling.services.budget import budget_count_given, labels_recount


@transaction.atomic
def gold_mark(*, project: Project, answers: Sequence[tuple[int, str]]) -> int:
    """Mark items as gold with their known class, all or nothing; how many are gold now in all.

    Marking a gold item again changes its known answer.
    """
    classes = dict(project.label_classes.values_list("name", "pk"))
    wanted = dict(answers)
    rows = Item.objects.select_for_update(of=("self",), no_key=True).filter(project=project, pk__in=wanted).order_by()
    items = {item.pk: item for item in rows}
    labeled = dict(
        Label.objects.filter(item_id__in=items).values("item").annotate(n=Count("pk")).values_list("item", "n")
    )
    problems = []
    for item_id, name in wanted.items():
        item = items.get(item_id)
        if item is None:
            problems.append(f"item {item_id} is not an item of this project")
        elif item.split != Item.Split.POOL or item.audit:
            problems.append(f"item {item_id} measures the model (evaluation or audit item)")
        elif labeled.get(item_id) and not item.gold:
            problems.append(
                f"item {item_id} already has {labeled[item_id]} label(s), and gold items are answered blind"
            )
        if name not in classes:
            problems.append(f"{name!r} is not a class (classes: {', '.join(classes)})")
    if problems:
        raise InvalidGoldError("Nothing was marked: " + "; ".join(problems) + ".", {"problems": problems})
    for item_id, name in wanted.items():
        Item.objects.filter(pk=item_id).update(gold=True, gold_class_id=classes[name])
    budget_count_given(project=project, n=sum(not items[i].gold for i in wanted))  # new known answers may train
    return Item.objects.filter(project=project, gold=True).count()


@transaction.atomic
def gold_unmark(*, project: Project, item_ids: Sequence[int]) -> int:
    """Make gold items ordinary pool items again; how many were unmarked. Answers already given
    on them then count as ordinary labels (they were given blind); the known class stays as the
    item's class known at import."""
    unmarked = Item.objects.filter(project=project, pk__in=item_ids, gold=True).update(gold=False)
    labels_recount(project=project)  # their answers now count against the budget
    return unmarked
