from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from labeling.exceptions import ItemNotInProjectError, UnknownLabelClassError
from labeling.models import Assignment, Item, Label, LabelClass, Project
from labeling.services.training import model_version_request


@transaction.atomic
def label_submit(
    *, project: Project, item_id: int, annotator: AbstractBaseUser, class_name: str, duration_ms: int = 0
) -> Label:
    """Save (or change) an annotator's label, close their assignment, queue a retrain when due."""
    item = Item.objects.filter(pk=item_id, project=project, split=Item.Split.POOL).first()
    if item is None:
        raise ItemNotInProjectError(
            f"Item {item_id} is not a labelable item of project {project.name!r}.",
            {"item": item_id, "project": project.pk},
        )
    label_class = LabelClass.objects.filter(project=project, name=class_name).first()
    if label_class is None:
        known = list(project.label_classes.values_list("name", flat=True))
        raise UnknownLabelClassError(
            f"Unknown class {class_name!r} for project {project.name!r}; classes are {known}.",
            {"label": class_name, "classes": known},
        )
    label, _ = Label.objects.update_or_create(
        item=item, annotator=annotator, defaults={"label_class": label_class, "duration_ms": duration_ms}
    )
    Assignment.objects.filter(item=item, status=Assignment.Status.OPEN).update(status=Assignment.Status.DONE)
    model_version_request(project=project)
    return label
