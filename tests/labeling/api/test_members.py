"""Members and roles over REST: owners only; the last owner stays; refusals change nothing."""

import pytest
from rest_framework.test import APIClient

from labeling.models import Membership
from labeling.services.projects import project_create, project_member_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    project = project_create(name="reviews", modality="text", class_names=["fresh", "rotten"])
    users = {name: UserFactory(username=name) for name in ("olga", "rita", "ann", "newbie")}
    project_member_add(project=project, user=users["olga"], role="owner")
    project_member_add(project=project, user=users["rita"], role="reviewer")
    project_member_add(project=project, user=users["ann"], role="annotator")
    return project, users


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _roles(project) -> dict[str, str]:
    return dict(Membership.objects.filter(project=project).values_list("user__username", "role"))


def test_an_owner_lists_adds_re_roles_and_removes_members(team):
    project, users = team
    owner, url = _as(users["olga"]), f"/api/projects/{project.pk}/members/"
    assert owner.get(url).json() == [
        {"user_id": users["ann"].pk, "username": "ann", "role": "annotator"},
        {"user_id": users["olga"].pk, "username": "olga", "role": "owner"},
        {"user_id": users["rita"].pk, "username": "rita", "role": "reviewer"},
    ]
    added = owner.post(url, {"username": "newbie", "role": "viewer"}, format="json")
    assert added.status_code == 201
    assert added.json() == {"user_id": users["newbie"].pk, "username": "newbie", "role": "viewer"}
    changed = owner.patch(f"{url}{users['rita'].pk}/", {"role": "owner"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "owner"
    assert owner.delete(f"{url}{users['ann'].pk}/").status_code == 204
    assert _roles(project) == {"olga": "owner", "rita": "owner", "newbie": "viewer"}
    assert owner.patch(f"{url}{users['olga'].pk}/", {"role": "viewer"}, format="json").status_code == 200  # rita owns


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        ("post", "", {"username": "ghost"}, 400,
         {"message": "No account is called 'ghost'; create it in the Django admin first.",
          "extra": {"username": "ghost"}}),
        ("post", "", {"username": "ann", "role": "owner"}, 400,
         {"message": "ann is already annotator of reviews; change their role instead.",
          "extra": {"username": "ann", "role": "annotator"}}),
        ("post", "", {"username": "newbie", "role": "boss"}, 400,
         {"message": "Invalid input.", "extra": {"fields": {"role": ['"boss" is not a valid choice.']}}}),
        ("patch", "{olga}/", {"role": "viewer"}, 400,
         {"message": "Cannot make viewer olga: they are the only owner of project {project}. Make someone else "
                     "owner first.", "extra": {"project": "{project}", "user": "{olga}", "role": "viewer"}}),
        ("delete", "{olga}/", None, 400,
         {"message": "Cannot remove olga: they are the only owner of project {project}. Make someone else owner "
                     "first.", "extra": {"project": "{project}", "user": "{olga}", "role": None}}),
        ("patch", "{newbie}/", {"role": "viewer"}, 404,
         {"message": "User {newbie} is not a member of project {project}.",
          "extra": {"project": "{project}", "user": "{newbie}"}}),
        ("delete", "{newbie}/", None, 404,
         {"message": "User {newbie} is not a member of project {project}.",
          "extra": {"project": "{project}", "user": "{newbie}"}}),
    ],
)  # fmt: skip
def test_bad_member_requests_get_a_clear_4xx_and_change_nothing(team, method, path, body, status, expected):
    project, users = team
    ids = {"project": project.pk, **{name: user.pk for name, user in users.items()}}

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if isinstance(value, str) else value

    before = _roles(project)
    response = getattr(_as(users["olga"]), method)(
        f"/api/projects/{project.pk}/members/{path.format(**ids)}", body, format="json"
    )
    assert (response.status_code, response.json()) == (status, fill(expected))
    assert _roles(project) == before


def test_only_owners_manage_members(team):
    project, users = team
    url = f"/api/projects/{project.pk}/members/"
    for name in ("rita", "ann"):
        client = _as(users[name])
        response = client.post(url, {"username": "newbie", "role": "owner"}, format="json")
        assert response.status_code == 403 and response.json()["extra"]["action"] == "manage"
        assert client.delete(f"{url}{users['olga'].pk}/").status_code == 403
    stranger = _as(users["newbie"]).get(url)
    assert stranger.status_code == 404
    assert stranger.json()["message"] == f"Project {project.pk} does not exist or is not yours."
    assert _roles(project) == {"olga": "owner", "rita": "reviewer", "ann": "annotator"}


def test_the_schema_documents_the_member_endpoints_with_the_error_shape(admin_user):
    client = _as(admin_user)
    schema = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    spec = schema.json()
    member = spec["paths"]["/api/projects/{project_id}/members/{user_id}/"]
    for code in ("400", "403", "404"):  # the API's one error shape
        assert member["patch"]["responses"][code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
