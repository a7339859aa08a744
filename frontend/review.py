"""The reviewer's page: items whose annotators disagree, decided by keyboard (review.js)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from labeling.api.reviews import ReviewItemOutput
from labeling.exceptions import ProjectNotFoundError, RoleForbiddenError
from labeling.keys import class_keys
from labeling.models import Project
from labeling.permissions import Action, project_for
from labeling.selectors.review import review_queue


def _reviewable(request: HttpRequest, project_id: int) -> Project:
    try:
        return project_for(user=request.user, project_id=project_id, action=Action.REVIEW)
    except ProjectNotFoundError as exc:
        raise Http404(exc.message) from exc
    except RoleForbiddenError as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
@require_GET
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    """The first items in review come inline, so the first one shows without another round trip."""
    project = _reviewable(request, project_id)
    classes = list(project.label_classes.all())
    keyed = class_keys([c.name for c in classes], [c.key for c in classes])
    rows, total = review_queue(project=project)
    page = {
        "project": project.pk,
        "classes": [{"name": k.name, "key": k.key} for k in keyed],
        "queue": {"items": ReviewItemOutput(rows, many=True).data, "total": total},
        "urls": {
            "queue": reverse("labeling:review-queue", args=[project.pk]),
            "decide": reverse("labeling:review-create", args=[project.pk]),
        },
    }
    return render(request, "frontend/review.html", {"project": project, "classes": keyed, "page": page})
