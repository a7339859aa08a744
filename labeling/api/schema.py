"""The API's contract in its OpenAPI schema: the one error shape and the 4xx each view can answer.

Each view declares its bodies, success status and errors next to itself, for example

    @extend_schema(request=Input, responses={201: ProjectOutput, **errors(400, 403)})

`errors` gives each status the `Error` schema and an example. Two answers every view shares are
added by `add_shared_errors` for all operations: 401 where the operation needs a login, and 413
and 415 where it takes a body (Django refuses one past DATA_UPLOAD_MAX_MEMORY_SIZE, files aside;
DRF one of a content type the view does not parse). 404 is
not shared: declare it where a path names a project or another object.
"""

from typing import Any

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class AutoSchema(openapi.AutoSchema):
    """Names each component after where it is defined, so every view may call its input `Input`."""

    def get_serializer_name(self, serializer: serializers.Serializer[Any], direction: Any) -> str:
        # ProjectListApi.Input -> ProjectListInput; ProjectOutput -> Project; ErrorOutput -> Error
        name = type(serializer).__qualname__.replace("Api.", "").replace(".", "")
        return name.removesuffix("Output") or name


class ErrorOutput(serializers.Serializer[None]):
    """Every 4xx of the API (labeling.api.errors)."""

    message = serializers.CharField(help_text="What went wrong, for a person.")
    extra = serializers.DictField(help_text="The offending values; `fields` maps each invalid input to its problems.")


# One example per status, the wording the API really answers with.
_EXAMPLES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: (
        "Invalid input",
        "Invalid input.",
        {"fields": {"label_budget": ["Ensure this value is greater than or equal to 1."]}},
    ),
    401: ("Not logged in", "Authentication credentials were not provided.", {}),
    403: ("Not staff", "Only staff can change a project.", {}),
    404: ("Not yours", "Project 7 does not exist or is not yours.", {}),
    409: ("Conflict", "A retrain of project 'digits' is already queued or running.", {"project": 7}),
    413: (
        "Body too large",
        "The request body is larger than the 2621440 bytes the API accepts.",
        {"limit_bytes": 2621440},
    ),
    415: ("Wrong content type", 'Unsupported media type "text/plain" in request.', {}),
}

_DESCRIPTIONS = {
    400: "Invalid input; nothing was saved.",
    401: "Not logged in: send `Authorization: Token <key>`.",
    403: "Logged in, but not allowed to do this.",
    404: "No such object, or one the caller may not see.",
    409: "The request conflicts with the current state; nothing was saved.",
    413: "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE; nothing was read.",
    415: "The body's Content-Type is not one the operation reads.",
}


def error_response(status: int, description: str = "", example: tuple[str, dict[str, Any]] | None = None) -> Any:
    """The `Error` schema for one status, with an example (the default one for the status unless given)."""
    name, message, extra = _EXAMPLES.get(status, ("Error", "Invalid input.", {}))
    if example is not None:
        message, extra = example
    return OpenApiResponse(
        ErrorOutput,
        description=description or _DESCRIPTIONS.get(status, ""),
        examples=[OpenApiExample(name, value={"message": message, "extra": extra}, status_codes=[status])],
    )


def errors(*statuses: int) -> dict[int, Any]:
    """`responses` entries for the 4xx a view can answer: `{201: Output, **errors(400, 404)}`."""
    return {status: error_response(status) for status in statuses}


def add_shared_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: 401 on every operation that needs a login, 413 and 415 on every one with a body."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation["responses"]
            if {} not in operation.get("security", [{}]):
                responses.setdefault("401", _response(401, error_ref))
            if "requestBody" in operation:
                responses.setdefault("413", _response(413, error_ref))
                responses.setdefault("415", _response(415, error_ref))
    return result


def _response(status: int, schema: dict[str, str]) -> dict[str, Any]:
    _, message, extra = _EXAMPLES[status]
    if status == 413:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message, extra = f"The request body is larger than the {limit} bytes the API accepts.", {"limit_bytes": limit}
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": schema, "example": {"message": message, "extra": extra}}},
    }
