from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from labeling.models import Assignment, Project
from labeling.selectors.items import next_item_candidate

# An item left open this long goes back to the pool (the annotator closed the tab).
ASSIGNMENT_TTL = timedelta(minutes=30)
_RACE_RETRIES = 5


def assignment_next(*, project: Project, annotator: AbstractBaseUser) -> Assignment | None:
    """The item this annotator should label now, or None when nothing is left.

    An annotator keeps their open item until they label it (a reload shows the same item).
    Otherwise they get the best available item; two annotators never hold the same item,
    enforced by a partial unique index, so a lost race just moves to the next candidate.
    """
    current = (
        Assignment.objects.filter(item__project=project, annotator=annotator, status=Assignment.Status.OPEN)
        .select_related("item")
        .first()
    )
    if current is not None:
        return current
    Assignment.objects.filter(
        item__project=project, status=Assignment.Status.OPEN, created_at__lt=timezone.now() - ASSIGNMENT_TTL
    ).update(status=Assignment.Status.EXPIRED)
    for _ in range(_RACE_RETRIES):
        candidate = next_item_candidate(project=project)
        if candidate is None:
            return None
        item, version = candidate
        try:
            with transaction.atomic():
                return Assignment.objects.create(item=item, annotator=annotator, model_version=version)
        except IntegrityError:
            continue
    return None
