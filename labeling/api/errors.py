"""One error shape for the whole API: {"message": str, "extra": {...}}."""

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labeling.exceptions import ApplicationError

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 1


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.status_code)
    if isinstance(exc, OperationalError | InterfaceError):  # the connection dropped: transient, say so
        return _database_unavailable(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: let Django report the 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"message": "Invalid input.", "extra": {"fields": exc.detail}}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        response.data = {"message": str(exc.detail), "extra": {}}
    return response


def _database_unavailable(exc: Exception) -> Response:
    """503 with Retry-After: the request's transaction rolled back, so a retry (with the same
    idempotency key) saves the answer exactly once; Django opens a fresh connection for it."""
    logger.warning("Database unavailable: %s", exc)
    body = {
        "message": "The database connection was lost; retry the request. An answer sent again with the same "
        "idempotency_key is saved once.",
        "extra": {"retry_after": DATABASE_RETRY_AFTER_SECONDS},
    }
    return Response(
        body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    )
