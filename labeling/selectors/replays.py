from labeling.exceptions import NotFoundError
from labeling.models import Item, Project, StrategyReplay
from labeling.selectors.resolution import resolved_labels


def labeled_classes(*, project: Project) -> list[str]:
    """The resolved class of each labeled pool item, one entry per item."""
    pool = set(Item.objects.filter(project=project, split=Item.Split.POOL).values_list("pk", flat=True))
    return [label for item_id, label in sorted(resolved_labels(project=project).items()) if item_id in pool]


def replay_list(*, project: Project) -> list[StrategyReplay]:
    return list(StrategyReplay.objects.filter(project=project).order_by("-created_at"))


def replay_get(*, project: Project, replay_id: int) -> StrategyReplay:
    replay = StrategyReplay.objects.filter(project=project, pk=replay_id).first()
    if replay is None:
        raise NotFoundError(f"Project {project.name!r} has no replay {replay_id}.", {"replay": replay_id})
    return replay
