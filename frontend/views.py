
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from labeling.api.annotation import queue_data
from labeling.charts import accuracy_chart_svg
from labeling.exceptions import (
    ApplicationError,
    InvalidProjectError,
    InvalidReplayError,
    ProjectNotFoundError,
    RoleForbiddenError,
)
from labeling.guidelines import render_markdown
from labeling.keys import ACTIONS, class_keys
from labeling.models import Membership, ModelVersion, Project
from labeling.permissions import ROLE_ACTIONS, Action, project_for, role_of
from labeling.selectors.agreement import project_agreement
from labeling.selectors.dashboard import (
    accuracy_points,
    annotator_rows,
    curve_fit,
    curve_outlook,
    dashboard_active,
    random_curve,
    retrain_waits_for,
    stopping_advice,
)
from labeling.selectors.members import member_list
from labeling.selectors.projects import project_progress, project_rows_for_user
from labeling.selectors.replays import replay_list
from labeling.selectors.training import model_version_list
from labeling.services.guidelines import ClassGuide, guidelines_update
from labeling.services.imports import items_import_uploads
from labeling.services.projects import (
    project_create,
    project_member_add,
)
from labeling.services.replays import DEFAULT_STRATEGIES
from learner.encoders import ENCODERS
from learner.ranking import DEFAULT_STRATEGY, REGISTRY, STRATEGY_NAMES


def _project_or_404(request: HttpRequest, project_id: int, action: Action) -> Project:
    """The project if the user may do `action` on it (labeling.permissions): else a 404 page for
    strangers and missing projects alike, a 403 page for members whose role does not allow it."""
    try:
        return project_for(user=request.user, project_id=project_id, action=action)
    except ProjectNotFoundError as exc:
        raise Http404(exc.message) from exc
    except RoleForbiddenError as exc:
        raise PermissionDenied(exc.message) from exc


def _allowed(request: HttpRequest, project: Project) -> frozenset[str]:
    """What the user's role allows, for templates to hide the controls it does not."""
    role = role_of(user=request.user, project=project)
    return ROLE_ACTIONS[role] if role else frozenset()


def _staff_or_403(request: HttpRequest) -> None:
    """Creating a project is for staff (the site's admins); its creator becomes its owner."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can create projects.")


@login_required
@require_safe
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/project_list.html", {"rows": project_rows_for_user(user=request.user)})


@login_required
@require_safe
def annotate(request: HttpRequest, project_id: int) -> HttpResponse:
    """The annotator's page: a shell with the classes, keys and guidelines; the first items and the
    status come inline, so the first item shows without another round trip (annotate.js)."""
    project = _project_or_404(request, project_id, Action.ANNOTATE)
    classes = list(project.label_classes.prefetch_related("examples"))
    keyed = class_keys([c.name for c in classes], [c.key for c in classes])
    rows = [
        {
            "name": c.name, "key": k.key, "description_html": render_markdown(c.description),
            "description_text": c.description[:300], "examples": list(c.examples.all()[:6]),
        }
        for c, k in zip(classes, keyed, strict=True)
    ]  # fmt: skip
    page = {
        "project": project.pk,
        "classes": [{"name": row["name"], "key": row["key"]} for row in rows],
        "actions": {name: list(action.keys) for name, action in ACTIONS.items()},
        "min_visible_ms": project.min_visible_ms,
        "queue": queue_data(project, request.user),
        "open_item": _int_or_none(request.GET.get("item")),
        "urls": {
            "queue": reverse("labeling:queue", args=[project.pk]),
            "label": reverse("labeling:label-create", args=[project.pk]) + "?queue=1",
            "skip": reverse("labeling:skip-create", args=[project.pk]) + "?queue=1",
            "undo": reverse("labeling:undo", args=[project.pk]) + "?queue=1",
            "history": reverse("labeling:history", args=[project.pk]),
            "login": reverse("frontend:login"),
        },
    }
    actions = [
        {"label": action.label, "keys": [f"Shift+{k}" if k.isalpha() and k.isupper() else k for k in action.keys]}
        for action in ACTIONS.values()
    ]
    context = {
        "project": project, "classes": rows, "actions": actions, "page": page,
        "instructions_html": render_markdown(project.instructions), "allowed": _allowed(request, project),
    }  # fmt: skip
    return render(request, "frontend/annotate.html", context)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def guidelines(request: HttpRequest, project_id: int) -> HttpResponse:
    """Every member reads the guidelines; owners write the instructions and, per class, a
    description, example item ids and a key."""
    project = _project_or_404(request, project_id, Action.MANAGE if request.method == "POST" else Action.OPEN)
    classes = list(project.label_classes.prefetch_related("examples"))
    error = ""
    if request.method == "POST":
        try:
            guides = [
                ClassGuide(
                    name=c.name,
                    description=request.POST.get(f"description-{c.pk}", ""),
                    key=request.POST.get(f"key-{c.pk}", ""),
                    example_ids=_ids(request.POST.get(f"examples-{c.pk}", "")),
                )
                for c in classes
            ]
            guidelines_update(project=project, instructions=request.POST.get("instructions", ""), classes=guides)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, "Guidelines saved.")
            return redirect("frontend:guidelines", project_id=project.pk)
    rows = [(c, ", ".join(str(e.pk) for e in c.examples.all()), render_markdown(c.description)) for c in classes]
    context = {"project": project, "rows": rows, "error": error, "allowed": _allowed(request, project),
               "instructions_html": render_markdown(project.instructions)}  # fmt: skip
    return render(request, "frontend/guidelines.html", context, status=400 if error else 200)


def _report_rows(version: ModelVersion | None) -> dict[str, object] | None:
    """The latest version's confusion matrix as table rows, with each class's recall."""
    report = version.metrics.get("eval_report") if version is not None else None
    if not report:
        return None
    rows = [
        {"name": name, "index": i, "counts": counts, "recall": recall}
        for i, (name, counts, recall) in enumerate(zip(report["classes"], report["confusion"], report["recall"],
                                                       strict=True))
    ]  # fmt: skip
    return {"classes": report["classes"], "macro_f1": report["macro_f1"], "rows": rows}


def _positive_int(text: str | None, what: str) -> int | None:
    """A form's whole number, None when left empty; InvalidReplayError names the field otherwise."""
    if not text:
        return None
    if not text.strip().isdigit():
        raise InvalidReplayError(f"The {what} must be a whole number, not {text!r}.", {what: text})
    return int(text)


def _ids(text: str) -> list[int]:
    parts = [part.strip() for part in text.replace(",", " ").split()]
    bad = [part for part in parts if not part.isdigit()]
    if bad:
        raise InvalidProjectError(f"Example items are item ids (whole numbers); {bad} are not.", {"ids": bad})
    return [int(part) for part in parts]


@login_required
@require_safe
def dashboard(request: HttpRequest, project_id: int) -> HttpResponse:
    """Labels spent against accuracy. The htmx poll of the body stops (HTTP 286) once nothing runs."""
    project = _project_or_404(request, project_id, Action.READ)
    progress = project_progress(project=project)
    versions = model_version_list(project=project)
    replay = next(iter(replay_list(project=project)), None)
    queued = next((v for v in versions if v.status == ModelVersion.Status.QUEUED), None)
    used = progress.budget_used_percent
    points = accuracy_points(project=project)
    fit = curve_fit(project=project, points=points)  # one fit (200 bootstrap refits) for the advice and the outlook
    outlook = curve_outlook(project=project, points=points, fit=fit)
    agreement = project_agreement(project=project)
    context = {
        "project": project,
        "progress": progress,
        "advice": stopping_advice(project=project, points=points, fit=fit),
        "versions": versions,
        "replay": replay,
        "chart": mark_safe(accuracy_chart_svg(
            points, budget=project.label_budget, random_curve=random_curve(replay=replay),
            fitted=outlook.samples if outlook else (),
        )),
        "outlook": outlook,
        "budget_state": "over" if used >= 100 else "warn" if used >= 90 else "ok",
        "budget_width": min(used, 100.0),
        "waits_for": retrain_waits_for(version=queued) if queued else "",
        "annotators": annotator_rows(project=project, agreement=agreement),
        "agreement": agreement,
        "latest_report": _report_rows(progress.latest_version),
        "replay_choices": [name for name in STRATEGY_NAMES if not REGISTRY[name].passive],
        "strategy_names": STRATEGY_NAMES,
        "members": list(member_list(project_id=project.pk)),
        "roles": Membership.Role.choices,
        "allowed": _allowed(request, project),
        "resolution_choices": Project.Resolution.choices,
        "gold_items": list(project.items.filter(gold=True).select_related("gold_class").order_by("id")),
        "replay_defaults": {*DEFAULT_STRATEGIES, project.strategy},
        "active": dashboard_active(project=project),
    }
    if request.htmx:
        status = 200 if context["active"] else 286  # htmx stops polling on 286
        return render(request, "frontend/dashboard.html#dashboard-body", context, status=status)
    return render(request, "frontend/dashboard.html", context)


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    """Create a project in the browser; then upload its items."""
    _staff_or_403(request)
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            names = [n.strip() for n in form.get("classes", "").replace(",", "\n").splitlines() if n.strip()]
            project = project_create(
                name=form.get("name", "").strip(), modality=form.get("modality", ""), class_names=names,
                strategy=form.get("strategy", DEFAULT_STRATEGY), encoder=form.get("encoder", ""),
                label_budget=_positive_int(form.get("label_budget"), "label budget") or 500,
                retrain_every=_positive_int(form.get("retrain_every"), "retrain every") or 20,
            )  # fmt: skip
        except ApplicationError as exc:
            return render(request, "frontend/project_new.html", _new_context(form, exc.message), status=400)
        project_member_add(project=project, user=request.user, role=Membership.Role.OWNER)
        messages.success(request, f"Project {project.name} created. Now upload its items.")
        return redirect("frontend:import", project_id=project.pk)
    return render(request, "frontend/project_new.html", _new_context(form, ""))


def _new_context(form: object, error: str) -> dict[str, object]:
    return {"form": form, "error": error, "strategies": STRATEGY_NAMES, "default_strategy": DEFAULT_STRATEGY,
            "encoders": sorted(ENCODERS), "modalities": Project.Modality.choices}  # fmt: skip


@login_required
def import_items(request: HttpRequest, project_id: int) -> HttpResponse:
    """Upload images (files or one zip) or texts (CSV/JSONL), all or nothing."""
    project = _project_or_404(request, project_id, Action.MANAGE)
    error = ""
    if request.method == "POST":
        try:
            fraction = float(request.POST.get("eval_fraction") or 0)
            summary = items_import_uploads(project=project, files=request.FILES.getlist("files"),
                                           eval_fraction=fraction)  # fmt: skip
        except ValueError:
            error = "The evaluation share must be a number between 0 and 0.9."
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"Imported {summary.pool} items to label and {summary.eval} held out "
                                      "for evaluation. Embedding progress shows below.")  # fmt: skip
            return redirect("frontend:dashboard", project_id=project.pk)
    context = {"project": project, "error": error, "limit_mb": settings.TWEEZER_MAX_UPLOAD_BYTES // 2**20}
    return render(request, "frontend/import.html", context, status=400 if error else 200)
