"""The API's token check answers exactly as DRF's own TokenAuthentication does."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from labeling.api.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def _answer(check: authentication.TokenAuthentication, key: str) -> tuple[object, ...]:
    try:
        user, token = check.authenticate_credentials(key)
    except exceptions.AuthenticationFailed as failed:
        return ("failed", str(failed.detail))
    return ("ok", user.pk, user.username, user.is_staff, token.key, token.user_id, token.created)


def test_the_token_check_gives_drfs_answer_for_good_unknown_and_inactive_tokens():
    users = get_user_model()
    active = Token.objects.create(user=users.objects.create_user("ann", password=None))
    inactive = Token.objects.create(user=users.objects.create_user("ben", password=None, is_active=False))
    keys = [active.key, inactive.key, "0" * 40, "", "x" * 300]

    ours = [_answer(TokenAuthentication(), key) for key in keys]

    assert ours == [_answer(authentication.TokenAuthentication(), key) for key in keys]
    assert ours[0][:3] == ("ok", active.user_id, "ann")
    assert ours[1:] == [("failed", "User inactive or deleted.")] + [("failed", "Invalid token.")] * 3


def test_a_request_with_an_unknown_token_is_a_401_with_a_message(make_digits_project):
    project = make_digits_project(per_class=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get(f"/api/projects/{project.pk}/next-item/")

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token."
