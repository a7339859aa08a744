"""Every 4xx under /api/ answers {"message", "extra"}, also those Django gives before any view runs."""

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labeling.models import Label

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client(annotator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=annotator).key}")
    return client


def test_a_body_past_the_upload_limit_is_a_json_413_and_saves_nothing(token_client, make_digits_project, settings):
    project = make_digits_project(per_class=2)
    item = token_client.get(f"/api/projects/{project.pk}/next-item/").json()["item"]
    body = json.dumps({"item": item["id"], "label": "0", "note": "x" * 3_000_000})

    response = token_client.post(f"/api/projects/{project.pk}/labels/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "message": f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes the API accepts.",
        "extra": {"limit_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    }
    assert not Label.objects.filter(item__project=project).exists()
    # The item is still the caller's to label.
    assert token_client.get(f"/api/projects/{project.pk}/next-item/").json()["item"] == item


def test_an_unknown_api_url_is_a_json_404(token_client):
    response = token_client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {
        "message": "No API endpoint at /api/nothing-here/; the schema at /api/schema/ lists them.",
        "extra": {"path": "/api/nothing-here/"},
    }


def test_pages_keep_their_html_404(client, annotator):
    client.force_login(annotator)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_method_an_endpoint_does_not_take_is_a_json_405(token_client, make_digits_project):
    project = make_digits_project(per_class=2)
    response = token_client.delete(f"/api/projects/{project.pk}/labels/")
    assert response.status_code == 405
    assert response.json() == {"message": 'Method "DELETE" not allowed.', "extra": {}}
