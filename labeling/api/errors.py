"""One error shape for the whole API: {"message": str, "extra": {...}}."""

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labeling.exceptions import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: let Django report the 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"message": "Invalid input.", "extra": {"fields": exc.detail}}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        response.data = {"message": str(exc.detail), "extra": {}}
    return response
