"""One error shape for the whole API: {"message": str, "extra": {...}}.

`exception_handler` shapes what DRF views raise. The Django handlers below shape what happens
before a view runs or outside any view (an unknown /api/ URL, a body past
DATA_UPLOAD_MAX_MEMORY_SIZE), for /api/ paths only; pages keep Django's HTML answers.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
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


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django refused the request itself (a SuspiciousOperation), before any view."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse(
            {"message": f"The request body is larger than the {limit} bytes the API accepts.",
             "extra": {"limit_bytes": limit}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )  # fmt: skip
    # The other upload limits name the setting; anything else (a bad Host header) stays unexplained.
    known = isinstance(exception, TooManyFieldsSent | TooManyFilesSent)
    return JsonResponse({"message": str(exception) if known else "Bad request.", "extra": {}}, status=400)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an /api/ URL that names no endpoint."""
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        {"message": f"No API endpoint at {request.path}; the schema at /api/schema/ lists them.",
         "extra": {"path": request.path}},
        status=status.HTTP_404_NOT_FOUND,
    )  # fmt: skip


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: Django's own PermissionDenied, raised outside a DRF view."""
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse({"message": "You may not do this.", "extra": {}}, status=status.HTTP_403_FORBIDDEN)
