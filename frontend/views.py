from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from labeling.exceptions import ApplicationError, ProjectNotFoundError
from labeling.models import Project
from labeling.selectors.projects import project_get_for_user, project_list_for_user, project_progress
from labeling.selectors.replays import replay_list
from labeling.selectors.training import model_version_list
from labeling.services.assignments import assignment_next
from labeling.services.labels import label_submit
from labeling.services.replays import replay_request
from labeling.services.training import model_version_request


def _project_or_404(request: HttpRequest, project_id: int) -> Project:
    try:
        return project_get_for_user(user=request.user, project_id=project_id)
    except ProjectNotFoundError as exc:
        raise Http404(exc.message) from exc


def _item_panel_context(request: HttpRequest, project: Project, error: str = "") -> dict[str, object]:
    return {
        "project": project,
        "classes": list(project.label_classes.all()),
        "assignment": assignment_next(project=project, annotator=request.user),
        "progress": project_progress(project=project),
        "error": error,
    }


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = project_list_for_user(user=request.user)
    rows = [(project, project_progress(project=project)) for project in projects]
    return render(request, "frontend/project_list.html", {"rows": rows})


@login_required
def annotate(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    return render(request, "frontend/annotate.html", _item_panel_context(request, project))


@login_required
@require_POST
def label(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    """Save the label and answer with the next item's panel (an htmx partial swap)."""
    project = _project_or_404(request, project_id)
    error, status = "", 200
    try:
        duration_ms = max(0, min(int(request.POST.get("duration_ms") or 0), 86_400_000))
        label_submit(
            project=project,
            item_id=item_id,
            annotator=request.user,
            class_name=request.POST.get("label", ""),
            duration_ms=duration_ms,
        )
    except ValueError:
        error, status = "duration_ms must be a whole number of milliseconds.", 400
    except ApplicationError as exc:
        error, status = exc.message, 400
    context = _item_panel_context(request, project, error)
    return render(request, "frontend/annotate.html#item-panel", context, status=status)


@staff_member_required
def dashboard(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    context = {
        "project": project,
        "progress": project_progress(project=project),
        "versions": model_version_list(project=project),
        "replay": next(iter(replay_list(project=project)), None),
    }
    template = "frontend/dashboard.html#dashboard-body" if request.htmx else "frontend/dashboard.html"
    return render(request, template, context)


@staff_member_required
@require_POST
def retrain(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    if model_version_request(project=project, force=True) is None:
        messages.info(request, "A retrain is already queued or running.")
    else:
        messages.success(request, "Retrain queued.")
    return redirect("frontend:dashboard", project_id=project.pk)


@staff_member_required
@require_POST
def replay(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    try:
        replay_request(project=project, requested_by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Strategy replay queued; its progress shows below.")
    return redirect("frontend:dashboard", project_id=project.pk)
