"""Every page and endpoint x every role x own, other and missing ids: the access matrix.

The URL patterns come from Django's resolvers, so a new URL without a row in EXPECTED fails
`test_every_url_has_a_row`; a row is one line: the URL name, then what each method needs
(a labeling.permissions.Action, or ITEM / LOGGED_IN / STAFF). Each request runs in a savepoint
that is rolled back, so a DELETE in one case takes nothing from the next.

What is asserted per case: 2xx/3xx/4xx-after-the-check ("pass") where the role may, exactly 403
for a member whose role may not, 404 for strangers, other projects and missing ids, 401 (API) or
a redirect to the login page (pages) for anonymous users. A forbidden caller never gets a 400:
validation never runs before the check. The 404 bodies of "another project" and "does not exist"
are the same bytes once the ids in the URL and the per-request CSRF token are masked.
"""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from labeling.artifacts import bytes_save
from labeling.models import Item, Membership, ModelVersion, StrategyReplay
from labeling.permissions import ROLE_ACTIONS, Action
from labeling.readers import read_image_folder
from labeling.services.assignments import assignment_queue
from labeling.services.imports import items_import_images
from labeling.services.projects import project_create, project_member_add
from tests.conftest import write_digit_folder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ITEM = "item"  # an item's image: READ roles see all, annotators what they hold or answered (labeling.permissions)
LOGGED_IN = "logged in"  # any account; the view shows only what the account may see
STAFF = "staff"  # project creation: staff only, the creator becomes owner

# URL name -> method -> what it needs. Methods a view does not list must answer 405.
EXPECTED: dict[str, dict[str, str]] = {
    "frontend:project-list": {"GET": LOGGED_IN},
    "frontend:project-new": {"GET": STAFF, "POST": STAFF},
    "frontend:import": {"GET": Action.MANAGE, "POST": Action.MANAGE},
    "frontend:settings": {"POST": Action.MANAGE},
    "frontend:members": {"POST": Action.MANAGE},
    "frontend:annotate": {"GET": Action.ANNOTATE},
    "frontend:guidelines": {"GET": Action.OPEN, "POST": Action.MANAGE},
    "frontend:dashboard": {"GET": Action.READ},
    "frontend:retrain": {"POST": Action.MANAGE},
    "frontend:budget": {"POST": Action.MANAGE},
    "frontend:target": {"POST": Action.MANAGE},
    "frontend:gold": {"POST": Action.MANAGE},
    "frontend:review": {"GET": Action.REVIEW},
    "frontend:replay": {"POST": Action.MANAGE},
    "labeling:project-list": {"GET": LOGGED_IN, "POST": STAFF},
    "labeling:project-detail": {"GET": Action.OPEN, "PATCH": Action.MANAGE},
    "labeling:next-item": {"GET": Action.ANNOTATE},
    "labeling:queue": {"GET": Action.ANNOTATE},
    "labeling:label-create": {"POST": Action.ANNOTATE},
    "labeling:skip-create": {"POST": Action.ANNOTATE},
    "labeling:undo": {"POST": Action.ANNOTATE},
    "labeling:history": {"GET": Action.ANNOTATE},
    "labeling:model-versions": {"GET": Action.READ, "POST": Action.MANAGE},
    "labeling:export": {"GET": Action.READ},
    "labeling:model-file": {"GET": Action.READ},
    "labeling:review-queue": {"GET": Action.REVIEW},
    "labeling:review-create": {"POST": Action.REVIEW},
    "labeling:gold": {"GET": Action.MANAGE, "POST": Action.MANAGE},
    "labeling:gold-detail": {"DELETE": Action.MANAGE},
    "labeling:predictions": {"GET": Action.READ},
    "labeling:imports": {"POST": Action.MANAGE},
    "labeling:members": {"GET": Action.MANAGE, "POST": Action.MANAGE},
    "labeling:member-detail": {"PATCH": Action.MANAGE, "DELETE": Action.MANAGE},
    "labeling:replays": {"GET": Action.READ, "POST": Action.MANAGE},
    "labeling:replay-detail": {"GET": Action.READ},
    "labeling:replay-plot": {"GET": Action.READ},
    "labeling:item-image": {"GET": ITEM},
}

# Not access-controlled by project: Django's admin (staff, its own checks), the schema and its
# docs, static files, and the ways in and out.
SKIPPED_PREFIXES = ("admin/", "api/schema", "api/docs", "static/")
SKIPPED_NAMES = {"frontend:login", "frontend:logout", "labeling:auth-token"}

WHO = ("anonymous", "outsider", "viewer", "annotator", "reviewer", "owner", "staff")
SCOPES = ("own", "other", "missing")
MISSING_ID = 987_654
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # e.g. "api/projects/<int:project_id>/"
    pattern: URLPattern

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    def supported(self) -> set[str] | None:
        """Methods a class-based view implements; None for function views (not introspectable)."""
        view_class = getattr(self.pattern.callback, "view_class", None)
        if view_class is None:
            return None
        return {m for m in METHODS if hasattr(view_class, m.lower())}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            route = prefix + str(entry.pattern)
            yield Route(namespace + entry.name if entry.name else route, route, entry)


def routes() -> list[Route]:
    return [
        r
        for r in _walk(get_resolver().url_patterns)
        if not r.route.startswith(SKIPPED_PREFIXES) and r.name not in SKIPPED_NAMES
    ]


def test_every_url_has_a_row():
    found = {r.name for r in routes()}
    assert not found - set(EXPECTED), (
        f"URLs without a row in EXPECTED (add one per URL): {sorted(found - set(EXPECTED))}"
    )
    assert not set(EXPECTED) - found, f"Rows for URLs that no longer exist: {sorted(set(EXPECTED) - found)}"
    for r in routes():
        implemented = r.supported()
        if implemented is not None:
            assert implemented == set(EXPECTED[r.name]), f"{r.name}: the view implements {sorted(implemented)}"


@dataclass
class World:
    clients: dict[str, Client]
    ids: dict[str, dict[str, int]]  # scope -> URL kwarg -> id


def _image_project(name: str, folder):
    project = project_create(name=name, modality="image", class_names=["0", "1"])
    items_import_images(project=project, records=read_image_folder(write_digit_folder(folder, 2, ("0", "1"))))
    return project


def _replay_with_plot(project) -> StrategyReplay:
    replay = StrategyReplay.objects.create(
        project=project, strategies=["margin"], batch_size=5, seeds=1, plot_name=f"test/replay-{project.pk}.svg"
    )
    bytes_save(replay.plot_name, b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    return replay


@pytest.fixture
def world(tmp_path) -> World:
    own, other = _image_project("own", tmp_path / "own"), _image_project("other", tmp_path / "other")
    users = {who: UserFactory(username=who, is_staff=who == "staff") for who in WHO if who != "anonymous"}
    for role in Membership.Role.values:
        project_member_add(project=own, user=users[role], role=role)
    own_target, other_target = UserFactory(username="own-target"), UserFactory(username="other-target")
    project_member_add(project=own, user=own_target)
    project_member_add(project=other, user=other_target)
    held = assignment_queue(project=own, annotator=users["annotator"])[0].item  # the annotator may see its image
    other_item = Item.objects.filter(project=other).first()
    clients = {"anonymous": Client()}
    for who, user in users.items():
        clients[who] = Client()
        clients[who].force_login(user)
    Item.objects.filter(pk__in=[held.pk, other_item.pk]).update(gold=True)  # gold-detail names a gold item
    for project in (own, other):  # a version whose model file is not ready: readers get 409, never its bytes
        ModelVersion.objects.create(project=project, number=1, strategy="margin", status="queued")
    ids = {
        "own": {"project_id": own.pk, "replay_id": _replay_with_plot(own).pk, "item_id": held.pk,
                "user_id": own_target.pk, "number": 1},
        "other": {"project_id": other.pk, "replay_id": _replay_with_plot(other).pk, "item_id": other_item.pk,
                  "user_id": other_target.pk, "number": 1},
        "missing": dict.fromkeys(("project_id", "replay_id", "item_id", "user_id", "number"), MISSING_ID),
    }  # fmt: skip
    return World(clients, ids)


def expected(need: str | None, who: str, scope: str, *, api: bool) -> str:
    """'pass', '401', 'login', '403', '404' or '405' for one case."""
    if who == "anonymous":
        return "401" if api else "login"
    if need is None:
        return "405"
    if need == LOGGED_IN:
        return "pass"
    if need == STAFF:
        return "pass" if who == "staff" else "403"
    if scope == "missing":
        return "404"
    if who == "staff":
        return "pass"  # staff act as owners of every project
    if scope == "other" or who == "outsider":
        return "404"
    allowed = ROLE_ACTIONS[who]
    if need == ITEM:  # the own item is one the annotator holds
        return "pass" if Action.READ in allowed or Action.ANNOTATE in allowed else "404"
    return "pass" if need in allowed else "403"


def outcome(response, *, api: bool) -> str:
    code = response.status_code
    if code == 302 and not api and response["Location"].startswith(resolve_url(settings.LOGIN_URL)):
        return "login"
    if code in (401, 403, 404, 405):
        return str(code)
    return "pass" if code < 500 else f"error {code}"


_CSRF = re.compile(rb"[A-Za-z0-9]{64}")


def masked(body: bytes, ids: dict[str, int]) -> bytes:
    for value in ids.values():  # an id, not a digit of "utf-8", "htmx-2.min.js" or "initial-scale=1"
        body = re.sub(rb"(?<![-=.\w])%d(?![.\w])" % value, b"<id>", body)
    return _CSRF.sub(b"<csrf>", body)


def _request(client: Client, method: str, path: str, *, api: bool) -> tuple[Any, bytes]:
    """One request whose writes are rolled back, and its body (read before the rollback)."""
    content_type = "application/json" if api else "application/x-www-form-urlencoded"
    with transaction.atomic():
        response = client.generic(method, path, data=b"", content_type=content_type)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        transaction.set_rollback(True)
    client.cookies.pop("messages", None)  # a flash message is no state of the next case (cookies are not rolled back)
    return response, body


def _path(route: Route, ids: dict[str, int]) -> str:
    missing = set(route.pattern.pattern.converters) - set(ids)
    assert not missing, f"{route.name}: give the world an id for {missing}"
    path = "/" + route.route
    for kwarg in route.pattern.pattern.converters:
        path = re.sub(rf"<(?:\w+:)?{kwarg}>", str(ids[kwarg]), path)
    return path


def test_access_matrix(world, capsys):
    failures: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    needs: Counter[str] = Counter()
    for route in routes():
        rows = EXPECTED[route.name]
        probed = sorted(set(rows) | ({"GET", "POST"} if route.supported() is None else set()))
        scoped = bool(route.pattern.pattern.converters)
        for method in probed:
            need = rows.get(method)
            needs[str(need) if need else "not offered (405)"] += 1
            for who in WHO:
                not_found: dict[str, bytes] = {}
                for scope in SCOPES if scoped else ("own",):
                    ids = world.ids[scope]
                    response, body = _request(world.clients[who], method, _path(route, ids), api=route.is_api)
                    got, want = outcome(response, api=route.is_api), expected(need, who, scope, api=route.is_api)
                    counts[(who, want)] += 1
                    if got != want:
                        failures.append(f"{method} {route.name} as {who} on {scope}: {got}, expected {want} "
                                        f"({response.status_code} {body[:160]!r})")  # fmt: skip
                    if got == "404" and (scope != "own" or who == "outsider"):
                        not_found[scope] = masked(body, ids)
                if len(set(not_found.values())) > 1:
                    failures.append(f"{method} {route.name} as {who}: 404 bodies differ: {not_found}")
    with capsys.disabled():
        print(_summary(counts, needs))
    assert not failures, "\n".join(failures)


def _summary(counts: Counter[tuple[str, str]], needs: Counter[str]) -> str:
    actions = list(Action)
    lines = ["", "Roles x actions (labeling.permissions.ROLE_ACTIONS; staff act as owners):"]
    lines.append("  " + "role".ljust(10) + "".join(a.value.ljust(10) for a in actions))
    for role in Membership.Role.values:
        lines.append(
            "  " + role.ljust(10) + "".join(("yes" if a in ROLE_ACTIONS[role] else "-").ljust(10) for a in actions)
        )
    outcomes = sorted({want for _, want in counts})
    lines.append(f"Cases: {sum(counts.values())} over {len(routes())} URLs; (URL, method) pairs by what they need: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(needs.items())))  # fmt: skip
    lines.append("  " + "who".ljust(10) + "".join(o.ljust(7) for o in outcomes))
    for who in WHO:
        lines.append("  " + who.ljust(10) + "".join(str(counts[(who, o)]).ljust(7) for o in outcomes))
    return "\n".join(lines)
