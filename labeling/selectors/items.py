from django.db.models import Exists, OuterRef, QuerySet

from labeling.models import Assignment, Item, ItemScore, Label, ModelVersion, Project


def items_available(*, project: Project) -> QuerySet[Item]:
    """Pool items nobody has labeled and nobody holds an open assignment for."""
    return (
        Item.objects.filter(project=project, split=Item.Split.POOL)
        .filter(~Exists(Label.objects.filter(item=OuterRef("pk"))))
        .filter(~Exists(Assignment.objects.filter(item=OuterRef("pk"), status=Assignment.Status.OPEN)))
    )


def model_version_serving(*, project: Project) -> ModelVersion | None:
    """The newest finished model version: its ranking decides what annotators see."""
    return ModelVersion.objects.filter(project=project, status=ModelVersion.Status.DONE).order_by("-number").first()


def next_item_candidate(*, project: Project) -> tuple[Item, ModelVersion | None] | None:
    """The best item to ask next: top of the serving ranking, else the seeded cold-start order."""
    available = items_available(project=project)
    version = model_version_serving(project=project)
    if version is not None:
        top = (
            ItemScore.objects.filter(model_version=version, item__in=available)
            .select_related("item")
            .order_by("rank")
            .first()
        )
        if top is not None:
            return top.item, version
    item = available.order_by("cold_rank", "id").first()
    return (item, None) if item is not None else None
