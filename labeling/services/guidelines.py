"""Admins edit a project's guidelines: instructions, and per class a description, example items
and the key that picks it. Validated as a whole, written in one transaction."""

from dataclasses import dataclass

from django.db import transaction

from labeling.exceptions import InvalidProjectError
from labeling.keys import CLASS_KEYS
from labeling.models import Item, LabelClass, Project


@dataclass(frozen=True)
class ClassGuide:
    name: str  # which class
    description: str
    key: str  # "" = chosen automatically
    example_ids: list[int]


@transaction.atomic
def guidelines_update(*, project: Project, instructions: str, classes: list[ClassGuide]) -> None:
    by_name = {c.name: c for c in project.label_classes.all()}
    unknown = sorted({guide.name for guide in classes} - by_name.keys())
    if unknown:
        raise InvalidProjectError(f"Unknown classes {unknown}; classes are {sorted(by_name)}.", {"unknown": unknown})
    keys = [guide.key.strip().lower() for guide in classes]
    bad = sorted({key for key in keys if key and key not in CLASS_KEYS})
    if bad:
        raise InvalidProjectError(f"Keys {bad} cannot pick a class: use a digit or a letter a-z.", {"keys": bad})
    taken = [key for key in keys if key]
    if len(taken) != len(set(taken)):
        doubled = sorted({key for key in taken if taken.count(key) > 1})
        raise InvalidProjectError(f"Keys {doubled} are given to more than one class.", {"keys": doubled})
    wanted = {i for guide in classes for i in guide.example_ids}
    found = set(Item.objects.filter(project=project, pk__in=wanted).values_list("pk", flat=True))
    if wanted - found:
        missing = sorted(wanted - found)
        raise InvalidProjectError(f"Example items {missing} are not items of this project.", {"items": missing})
    project.instructions = instructions
    project.save(update_fields=["instructions"])
    LabelClass.objects.filter(project=project).update(key="")  # free every key before handing them out again
    for guide, key in zip(classes, keys, strict=True):
        label_class = by_name[guide.name]
        label_class.description, label_class.key = guide.description, key
        label_class.save(update_fields=["description", "key"])
        label_class.examples.set(guide.example_ids)
