"""The dashboard's owner forms (labeling.permissions, MANAGE): each calls one service, says what
happened or why not, and goes back to the dashboard (a redirect after POST, so a reload never repeats it)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from frontend.views import _positive_int, _project_or_404
from labeling.exceptions import ApplicationError, InvalidProjectError, NothingToRetrainError
from labeling.models import Membership, Project
from labeling.permissions import Action
from labeling.services.gold import gold_mark, gold_unmark
from labeling.services.members import member_add, member_remove, member_role_set
from labeling.services.projects import project_budget_set, project_update
from labeling.services.replays import replay_request
from labeling.services.training import model_version_request


@login_required
@require_POST
def retrain(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id, Action.MANAGE)
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
    """An owner's form on the dashboard: run `act` (a service call; it returns the success message),
    say what happened or why not, and go back to the dashboard."""
    project = _project_or_404(request, project_id, Action.MANAGE)
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


@login_required
@require_POST
def budget(request: HttpRequest, project_id: int) -> HttpResponse:
    def act(project: Project) -> str:
        wanted = _whole_number(request.POST.get("label_budget"), "The label budget must be a whole number of labels.")
        project_budget_set(project=project, label_budget=wanted)
        return f"Label budget set to {project.label_budget:,}."

    return _dashboard_action(request, project_id, act)


@login_required
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


@login_required
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


@login_required
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


@login_required
@require_POST
def members(request: HttpRequest, project_id: int) -> HttpResponse:
    """Add a member by user name with a role, change a role (`member` = their id, `role`), or
    remove one (`remove` = their id)."""

    def act(project: Project) -> str:
        role = request.POST.get("role", "")
        if request.POST.get("remove"):
            user_id = _whole_number(request.POST["remove"], "Choose a member to remove.")
            member_remove(project=project, user_id=user_id)
            return "Member removed; the items they held went back to the pool."
        if request.POST.get("member"):
            user_id = _whole_number(request.POST["member"], "Choose a member to change.")
            membership = member_role_set(project=project, user_id=user_id, role=role)
            return f"{membership.user.get_username()} is now {membership.role} of {project.name}."
        username = request.POST.get("username", "")
        membership = member_add(project=project, username=username, role=role or Membership.Role.ANNOTATOR)
        return f"{membership.user.get_username()} is now {membership.role} of {project.name}."

    return _dashboard_action(request, project_id, act)


@login_required
@require_POST
def target(request: HttpRequest, project_id: int) -> HttpResponse:
    """Set the score the team aims for (0-1; empty clears it); the dashboard projects the labels to reach it."""

    def act(project: Project) -> str:
        text = (request.POST.get("target_score") or "").strip()
        try:
            wanted = float(text) if text else None
        except ValueError:
            raise InvalidProjectError(f"The target score must be a number between 0 and 1, not {text!r}.",
                                      {"target_score": text}) from None  # fmt: skip
        project_update(project=project, target_score=wanted)
        return "Target cleared." if wanted is None else f"Target score set to {wanted:.3f}."

    return _dashboard_action(request, project_id, act)
