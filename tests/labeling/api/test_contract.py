"""The API against its own OpenAPI schema: schemathesis sends generated requests, valid and not,
to every operation through the WSGI app, and checks each answer's status, content type and body
against what the schema promises. A 5xx, or any answer the schema does not describe, fails."""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from config.wsgi import application
from labeling.models import Item
from labeling.services.projects import project_member_add
from labeling.services.replays import replay_request
from labeling.tasks import strategy_replay_task
from tests.labeling.helpers import label_in_cold_order

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 20  # per operation: about 75 CPU seconds for the whole run

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application
schema.config.generation.update(max_examples=MAX_EXAMPLES)


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Requests straight to the WSGI app would close the test's connection at each request's end
    (it is in a transaction); Django's own test client unhooks the same signals."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def real_rows(request, wsgi_in_test_transaction, make_digits_project, annotator, admin_user) -> dict[str, object]:
    """A staff token and the ids of real rows, so that requests reach the handlers, not a 404."""
    project = make_digits_project(per_class=5, retrain_every=5)
    project_member_add(project=project, user=admin_user)
    label_in_cold_order(project, annotator, 10)
    rows = {
        "token": Token.objects.create(user=admin_user).key,
        "project_id": project.pk,
        "item_id": Item.objects.filter(project=project).first().pk,
        "user_id": annotator.pk,  # a member, for the member endpoints
    }
    if "{replay_id}" in request.node.name:  # a finished replay with its plot, only where a path names one
        replay = replay_request(project=project, requested_by=admin_user, strategies=["margin"], batch_size=5, seeds=1)
        strategy_replay_task(replay.pk)
        rows["replay_id"] = replay.pk
    return rows


@schema.parametrize()
# The rows are made once per operation and its examples share them, as a server's clients do.
# Derandomized: CI sends the same requests every run; `--hypothesis-seed=N` explores others.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, derandomize=True)
def test_every_answer_matches_the_schema(case, real_rows):
    # An integer id is pointed at a real row; an id generated to be invalid (a string) is kept.
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, int) and name in real_rows:
            case.path_parameters[name] = real_rows[name]
    # Every check on the answers; two on the server's strictness are left out. A request the schema
    # allows may still break a rule the schema cannot say (wrong password, a class name twice): a 4xx,
    # not a bug. And DRF takes the number 0 for the string "0", which the schema cannot say either.
    case.call_and_validate(
        headers={"Authorization": f"Token {real_rows['token']}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
