"""The API token for scripts: a user name and password traded for `Authorization: Token <key>`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from labeling.api.schema import error_response


class TokenApi(ObtainAuthToken):
    """Trade a user name and password for your API token (made on first use); no login needed."""

    class Output(serializers.Serializer[None]):
        token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")

    @extend_schema(
        auth=[],
        request=AuthTokenSerializer,
        responses={200: Output, 400: error_response(400, "Wrong user name or password, or one missing.", (
            "Invalid input.", {"fields": {"non_field_errors": ["Unable to log in with provided credentials."]}}
        )), 401: error_response(401, "An `Authorization` header was sent with an unknown token.", (
            "Invalid token.", {}
        ))},
    )  # fmt: skip
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().post(request, *args, **kwargs)
