"""The dashboard's staff forms: each calls one service, says what happened or why not, and goes back
to the dashboard (a redirect after POST, so a reload never repeats it)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from frontend.views import _positive_int, _project_or_404
from labeling.exceptions import ApplicationError, InvalidProjectError, NothingToRetrainError
from labeling.models import Project
from labeling.services.gold import gold_mark, gold_unmark
from labeling.services.projects import (
    project_budget_set,
    project_member_add_by_name,
    project_member_remove,
    project_update,
)
from labeling.services.replays import replay_request
from labeling.services.training import model_version_request


@staff_member_required
@require_POST
def retrain(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    try:
        version = model_version_request(project=project, force=True)
    except NothingToRetrainError as exc:
        messages.info(request, exc.message)
    else:
        if version is None:
            messages.info(request, "A retrain is already queued or running.")
        else:
            messages.success(request, f"Retrain v{version.number} queued.")
    return redirect("frontend:dashboard", project_id=project.pk)


def _dashboard_action(request: HttpRequest, project_id: int, act: Callable[[Project], str]) -> HttpResponse:
    """A staff form on the dashboard: run `act` (a service call; it returns the success message),
    say what happened or why not, and go back to the dashboard."""
    project = _project_or_404(request, project_id)
    try:
        messages.success(request, act(project))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:dashboard", project_id=project.pk)


def _whole_number(text: str | None, message: str) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise InvalidProjectError(message, {"value": text}) from None


@staff_member_required
@require_POST
def budget(request: HttpRequest, project_id: int) -> HttpResponse:
    def act(project: Project) -> str:
        wanted = _whole_number(request.POST.get("label_budget"), "The label budget must be a whole number of labels.")
        project_budget_set(project=project, label_budget=wanted)
        return f"Label budget set to {project.label_budget:,}."

    return _dashboard_action(request, project_id, act)


@staff_member_required
@require_POST
def replay(request: HttpRequest, project_id: int) -> HttpResponse:
    def act(project: Project) -> str:
        replay_request(
            project=project, requested_by=request.user, strategies=request.POST.getlist("strategies") or None,
            batch_size=_positive_int(request.POST.get("batch_size"), "batch size"),
            seeds=_positive_int(request.POST.get("seeds"), "seeds") or 3,
        )  # fmt: skip
        return "Strategy replay queued; its progress shows below."

    return _dashboard_action(request, project_id, act)


def _share(text: str | None, default: float) -> float:
    """A percentage typed in the form (10 or 10%) as a share (0.1); blank keeps `default`."""
    if not (text or "").strip():
        return default
    try:
        return float((text or "").strip().rstrip("%")) / 100
    except ValueError:
        raise InvalidProjectError(f"The gold rate must be a percentage, not {text!r}.", {"gold_rate": text}) from None


@staff_member_required
@require_POST
def project_settings(request: HttpRequest, project_id: int) -> HttpResponse:
    def act(project: Project) -> str:
        retrain_every = _positive_int(request.POST.get("retrain_every"), "retrain every") or project.retrain_every
        per_item = _positive_int(request.POST.get("labels_per_item"), "labels per item") or project.labels_per_item
        project_update(project=project, strategy=request.POST.get("strategy", project.strategy),
                       retrain_every=retrain_every, labels_per_item=per_item,
                       resolution=request.POST.get("resolution", project.resolution),
                       gold_rate=_share(request.POST.get("gold_rate"), project.gold_rate))  # fmt: skip
        return (f"Strategy {project.strategy}, a retrain every {project.retrain_every} labels. "
                f"Labels per item {project.labels_per_item}, {project.resolution} resolution, "
                f"gold rate {project.gold_rate:.0%}.")  # fmt: skip

    return _dashboard_action(request, project_id, act)


@staff_member_required
@require_POST
def gold(request: HttpRequest, project_id: int) -> HttpResponse:
    """Mark gold items from lines of "item id, class", or unmark one (`unmark` = its id)."""

    def act(project: Project) -> str:
        if request.POST.get("unmark"):
            item_id = _whole_number(request.POST["unmark"], "Choose a gold item to unmark.")
            gold_unmark(project=project, item_ids=[item_id])
            return f"Item {item_id} is an ordinary item again; answers on it now count as labels."
        answers = []
        for line in request.POST.get("answers", "").splitlines():
            if line.strip():
                item, _, label = line.replace(",", " ").strip().partition(" ")
                answers.append((_whole_number(item, f"Each line is an item id and a class, not {line!r}."),
                                label.strip()))  # fmt: skip
        if not answers:
            raise InvalidProjectError("Give one gold item per line: its id and its known class.", {})
        total = gold_mark(project=project, answers=answers)
        return f"{len(answers)} item(s) marked as gold; the project has {total} gold items."

    return _dashboard_action(request, project_id, act)


@staff_member_required
@require_POST
def members(request: HttpRequest, project_id: int) -> HttpResponse:
    """Add a member by user name, or remove one (`remove` = their id)."""

    def act(project: Project) -> str:
        if request.POST.get("remove"):
            user_id = _whole_number(request.POST["remove"], "Choose a member to remove.")
            project_member_remove(project=project, user_id=user_id)
            return "Member removed; the items they held went back to the pool."
        user = project_member_add_by_name(project=project, username=request.POST.get("username", ""))
        return f"{user.get_username()} can now label {project.name}."

    return _dashboard_action(request, project_id, act)
