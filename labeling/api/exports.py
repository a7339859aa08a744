"""Data leaving Tweezer: labeled datasets, the trained model and its predictions, all streamed."""

import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from labeling.api.schema import error_response
from labeling.exceptions import InvalidExportError, ModelNotExportableError, NotFoundError
from labeling.exports.csv_safe import csv_lines
from labeling.exports.formats import FORMATS
from labeling.exports.model_file import model_file_bytes
from labeling.exports.rows import OPTIONAL_COLUMNS, SortedCursor, export_columns, export_records
from labeling.models import Item, ModelVersion, Project
from labeling.permissions import Action, project_for
from labeling.selectors.predictions import Predictions, predictions_latest


def _errors(*codes: int) -> dict[int, Any]:
    meaning = {
        400: "bad parameters",
        401: "not logged in",
        403: "the role may not read results",
        404: "no such project (or not a member), version or predictions",
        409: "no model file to give",
    }
    return {code: error_response(code, meaning[code]) for code in codes}


_JSON_ROWS = {"type": "array", "items": {"type": "object", "additionalProperties": True}}


def _file_responses(description: str, media_types: list[str]) -> dict[tuple[int, str], OpenApiResponse]:
    """One 200 per media type a file endpoint streams: JSON is an array of rows, zips are bytes, the rest text."""
    kinds = {"application/json": _JSON_ROWS, "application/zip": OpenApiTypes.BINARY}
    return {(200, m): OpenApiResponse(kinds.get(m, OpenApiTypes.STR), description=description) for m in media_types}


class ExportApi(APIView):
    class QueryInput(serializers.Serializer[None]):
        format = serializers.ChoiceField(choices=sorted(FORMATS), default="json")
        columns = serializers.CharField(default="", allow_blank=True)

        def validate_columns(self, value: str) -> list[str]:
            extras = [c.strip() for c in value.split(",") if c.strip()]
            unknown = sorted(set(extras) - OPTIONAL_COLUMNS.keys())
            if unknown:
                raise serializers.ValidationError(f"Unknown columns {unknown}; choose from {sorted(OPTIONAL_COLUMNS)}.")
            return list(dict.fromkeys(extras))

    @extend_schema(
        summary="Export the labeled items, one row per item with its resolved class",
        parameters=[
            OpenApiParameter("format", str, enum=sorted(FORMATS), default="json",
                             description="; ".join(f"{k}: {v.description}" for k, v in FORMATS.items())),
            OpenApiParameter("columns", str, description="Comma-separated extras: " + ", ".join(
                f"{k} ({', '.join(v)})" for k, v in OPTIONAL_COLUMNS.items())),
        ],
        responses={**_file_responses("the export, streamed", sorted({f.media_type for f in FORMATS.values()})),
                   **_errors(400, 401, 403, 404, 409)},
    )  # fmt: skip
    def get(self, request: Request, project_id: int) -> StreamingHttpResponse:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        query = self.QueryInput(data=request.query_params.dict())  # a QueryDict reads a blank ?format= as absent
        query.is_valid(raise_exception=True)
        name, extras = query.validated_data["format"], query.validated_data["columns"]
        fmt = FORMATS[name]
        if fmt.modality and fmt.modality != project.modality:
            raise InvalidExportError(
                f"Format {name!r} holds {fmt.modality}s; project {project.name!r} holds {project.modality}s.",
                {"format": name, "modality": project.modality},
            )
        records = export_records(project=project, extras=extras)
        body = fmt.write(records, export_columns(extras), request.build_absolute_uri("/").rstrip("/"))
        response = StreamingHttpResponse(body, content_type=fmt.media_type)
        response["Content-Disposition"] = f'attachment; filename="project-{project.pk}-{name}.{fmt.suffix}"'
        return response


class ModelFileApi(APIView):
    @extend_schema(
        summary="The trained head of a model version as a torch file (format tweezer-softmax-head/1)",
        description="Loads with torch.load(path, weights_only=True); see labeling/exports/model_file.py and README.",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
                   **_errors(401, 403, 404, 409)},
    )  # fmt: skip
    def get(self, request: Request, project_id: int, number: int) -> HttpResponse:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        version = ModelVersion.objects.filter(project=project, number=number).select_related("project").first()
        if version is None:
            raise NotFoundError(f"Project {project.pk} has no model version {number}.", {"version": number})
        response = HttpResponse(model_file_bytes(version=version), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="project-{project.pk}-model-v{number}.pt"'
        return response


class PredictionsApi(APIView):
    class QueryInput(serializers.Serializer[None]):
        format = serializers.ChoiceField(choices=["jsonl", "csv"], default="jsonl")

    @extend_schema(
        summary="The latest model's class and probabilities for every item it scored, streamed",
        parameters=[OpenApiParameter("format", str, enum=["jsonl", "csv"], default="jsonl")],
        responses={**_file_responses("item_id, source_name, split, model_version, predicted, probability, then "
                                     "one probability per class", ["application/x-ndjson", "text/csv"]),
                   **_errors(400, 401, 403, 404, 409)},
    )  # fmt: skip
    def get(self, request: Request, project_id: int) -> StreamingHttpResponse:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        query = self.QueryInput(data=request.query_params.dict())  # a QueryDict reads a blank ?format= as absent
        query.is_valid(raise_exception=True)
        predictions = predictions_latest(project=project)
        if predictions is None:
            raise ModelNotExportableError(f"Project {project.pk} has no model version with predictions yet; "
                                          "retrain first.", {"project": project.pk})  # fmt: skip
        fmt = query.validated_data["format"]
        rows = _prediction_rows(project, predictions)
        if fmt == "csv":
            columns = ["item_id", "source_name", "split", "model_version", "predicted", "probability",
                       *(f"p_{c}" for c in predictions.classes)]  # fmt: skip
            body: Iterator[str] = csv_lines((_one_column_per_class(row) for row in rows), columns)
        else:
            body = (json.dumps(row) + "\n" for row in rows)
        response = StreamingHttpResponse(body, content_type="text/csv" if fmt == "csv" else "application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="project-{project.pk}-predictions.{fmt}"'
        return response


def _prediction_rows(project: Project, predictions: Predictions) -> Iterator[dict[str, Any]]:
    items = SortedCursor(Item.objects.filter(project=project).order_by("id")
                    .values_list("id", "source_name", "split").iterator(chunk_size=5000))  # fmt: skip
    for item_id, probs in predictions.rows():
        found = items.take(item_id)
        if not found:
            continue  # the item was deleted since
        best = int(probs.argmax())
        yield {
            "item_id": item_id, "source_name": found[0][1], "split": found[0][2],
            "model_version": predictions.version, "predicted": predictions.classes[best],
            "probability": round(float(probs[best]), 6),
            "probabilities": {c: round(float(p), 6) for c, p in zip(predictions.classes, probs, strict=True)},
        }  # fmt: skip


def _one_column_per_class(row: dict[str, Any]) -> dict[str, Any]:
    """The CSV row: "probabilities" {class: p} becomes columns p_<class>."""
    flat = {k: v for k, v in row.items() if k != "probabilities"}
    return flat | {f"p_{name}": p for name, p in row["probabilities"].items()}
