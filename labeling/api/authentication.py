"""The check of `Authorization: Token <key>` that every scripted request runs."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

# The token's user in one round trip.
_USER_BY_TOKEN = f"""
SELECT u.* FROM {Token._meta.db_table} t
JOIN {get_user_model()._meta.db_table} u ON u.id = t.user_id
WHERE t.key = %s
"""


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, with its answers and messages, as one plain SQL query: the ORM spent
    more CPU building its select_related query than PostgreSQL spent answering it
    (tests/labeling/api/test_authentication.py holds it to DRF's class)."""

    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, Token]:
        user = next(iter(get_user_model().objects.raw(_USER_BY_TOKEN, [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token.from_db(user._state.db, ["key", "user_id"], [key, user.pk])  # `created` loads if read
        token.user = user
        return user, token
