from django.db.models import Max

from labeling.exceptions import NotFoundError
from labeling.models import Item, Label, Project, StrategyReplay


def labeled_classes(*, project: Project) -> list[str]:
    """The class of each labeled pool item (its newest label), one entry per item."""
    newest = Label.objects.filter(item__project=project, item__split=Item.Split.POOL).values("item_id")
    newest = newest.annotate(last=Max("id")).values("last")
    return list(Label.objects.filter(id__in=newest).values_list("label_class__name", flat=True))


def replay_list(*, project: Project) -> list[StrategyReplay]:
    return list(StrategyReplay.objects.filter(project=project).order_by("-created_at"))


def replay_get(*, project: Project, replay_id: int) -> StrategyReplay:
    replay = StrategyReplay.objects.filter(project=project, pk=replay_id).first()
    if replay is None:
        raise NotFoundError(f"Project {project.name!r} has no replay {replay_id}.", {"replay": replay_id})
    return replay
