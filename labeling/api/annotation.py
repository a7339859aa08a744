"""The annotator's endpoints: the held queue, answers (label, skip, undo) and the recent history.

The annotator's page uses exactly these: it shows the first held item, preloads the rest, and
posts each answer in the background with an idempotency key. With `?queue=1` an answer's
response carries the refreshed queue and status, so the page needs no second round trip; a
script that labels one item at a time leaves it out and holds only what it was handed.
"""

from abc import ABC, abstractmethod
from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.api.annotation_outputs import AnswerOutput, AnswerSavedOutput, HeldItemOutput, ItemOutput, QueueOutput
from labeling.api.schema import error_response, errors
from labeling.exceptions import BudgetReachedError
from labeling.models import Assignment, Item, Project, Skip
from labeling.permissions import Action, project_for
from labeling.selectors.annotation import AnnotationStatus, annotation_status, model_views
from labeling.selectors.answers import Answer, answer_history
from labeling.services.assignments import assignment_next, assignment_queue
from labeling.services.labels import Saved, answer_undo, item_skip, label_submit


def item_data(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "source_name": item.source_name,
        "text": item.text,
        "image_url": reverse("labeling:item-image", args=[item.pk]) if item.image else "",
    }


def status_data(state: AnnotationStatus) -> dict[str, Any]:
    retrain, serving = state.retrain, state.serving
    return {
        "labels_spent": state.labels_spent,
        "label_budget": state.label_budget,
        "budget_reached": state.budget_reached,
        "mine_today": state.mine_today,
        "mine_total": state.mine_total,
        "skips": state.skips,
        "retrain": {"version": retrain.number, "state": retrain.status} if retrain else None,
        "serving": {
            "version": serving.number,
            "strategy": serving.strategy,
            "accuracy": serving.metrics.get("eval_accuracy"),
            "n_eval": serving.metrics.get("n_eval"),
        }
        if serving
        else None,
    }


def queue_data(project: Project, annotator: AbstractBaseUser) -> dict[str, Any]:
    """The held items with the model's view of each, and the status line; no items at the budget."""
    try:
        queue = assignment_queue(project=project, annotator=annotator)
        message = ""
    except BudgetReachedError as exc:
        queue, message = [], exc.message
    return {
        "items": _with_model_views(project, queue),
        "status": status_data(annotation_status(project=project, annotator=annotator)),
        "message": message,
    }


def _with_model_views(project: Project, assignments: list[Assignment]) -> list[dict[str, Any]]:
    views = model_views(project=project, assignments=assignments)
    return [
        {**item_data(a.item), "model": asdict(views[a.item_id]), "expires_at": a.expires_at} for a in assignments
    ]


def queue_if_asked(request: Request, project: Project) -> dict[str, Any] | None:
    return queue_data(project, request.user) if request.query_params.get("queue") == "1" else None


def answer_data(answer: Answer) -> dict[str, Any]:
    return {"item": item_data(answer.item), "answer": answer.as_dict(), "at": answer.at}


QUEUE_PARAMETER = OpenApiParameter(
    "queue", str, enum=["1"], required=False, description="1: answer with the refreshed queue and status too."
)
NOT_HELD = error_response(409, "The item is not held by the caller, or its answer changed meanwhile.", (
    "Item 12 was already labeled '1' at 10:04:31, in another tab or window.", {"item": 12}
))  # fmt: skip


class AnswerInput(serializers.Serializer[None]):
    item = serializers.IntegerField()
    previous = serializers.JSONField(
        required=False, allow_null=True, help_text="The answer the page showed when changing one: {kind, label|reason}."
    )
    idempotency_key = serializers.UUIDField(required=False, allow_null=True)

    def validate_previous(self, value: Any) -> Any:
        if value is not None and not (isinstance(value, dict) and value.get("kind") in ("label", "skip")):
            raise serializers.ValidationError('Give the answer you saw as {"kind": "label", "label": name} or '
                                              '{"kind": "skip", "reason": reason}, or null.')  # fmt: skip
        return value


class QueueApi(APIView):
    """The items the caller holds (the first is shown, the rest preloaded), leases renewed."""

    @extend_schema(
        responses={
            200: QueueOutput,
            **errors(404),
            409: error_response(409, "The label budget is spent; `extra.status` has the status line.", (
                "Project 'digits' has spent its label budget of 500.", {"status": {"labels_spent": 500}}
            )),
        }
    )  # fmt: skip
    def get(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.ANNOTATE)
        data = queue_data(project, request.user)
        if data["message"]:  # the budget is spent: the same error shape as every 4xx, with the status line
            return Response({"message": data["message"], "extra": {"status": data["status"]}}, status.HTTP_409_CONFLICT)
        return Response(data)


class NextItemApi(APIView):
    """The item the caller should label now; the same one until they answer it."""

    class Output(serializers.Serializer[None]):
        item = ItemOutput(allow_null=True, help_text="null when nothing is left to label.")
        model_version = serializers.IntegerField(allow_null=True)

    @extend_schema(responses={200: Output, **errors(404, 409)})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.ANNOTATE)
        assignment = assignment_next(project=project, annotator=request.user)
        if assignment is None:
            return Response({"item": None, "model_version": None})
        version = assignment.model_version
        return Response({"item": item_data(assignment.item), "model_version": version.number if version else None})


class _AnswerCreateApi(APIView, ABC):
    """POST an answer: validate `Input`, save it with `save`; 201 when new, 200 for a retried key."""

    Input: type[AnswerInput]

    def get_serializer_class(self) -> type[AnswerInput]:
        """The schema reads each subclass's request body from here."""
        return self.Input

    @abstractmethod
    def save(self, *, project: Project, annotator: AbstractBaseUser, data: dict[str, Any]) -> Saved:
        """Call the service that stores this kind of answer."""

    @extend_schema(
        parameters=[QUEUE_PARAMETER],
        responses={201: AnswerSavedOutput, 200: AnswerSavedOutput, **errors(400, 404), 409: NOT_HELD},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """201 with the saved answer; 200 for a retried idempotency key (saved once)."""
        project = project_for(user=request.user, project_id=project_id, action=Action.ANNOTATE)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        saved = self.save(project=project, annotator=request.user, data=data.validated_data)
        body = {**answer_data(saved.answer), "queue": queue_if_asked(request, project)}
        return Response(body, status=status.HTTP_201_CREATED if saved.created else status.HTTP_200_OK)


@extend_schema_view(post=extend_schema(examples=[
    OpenApiExample("Label", request_only=True, value={
        "item": 12, "label": "cat", "duration_ms": 900, "idempotency_key": "0b7e3c52-5b0e-4c61-9a55-3f1f0f2d8e11",
    }),
    OpenApiExample("Change an answer", request_only=True, value={
        "item": 12, "label": "dog", "previous": {"kind": "label", "label": "cat"},
    }),
]))  # fmt: skip
class LabelCreateApi(_AnswerCreateApi):
    class Input(AnswerInput):
        label = serializers.CharField(max_length=100)
        duration_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, default=0)

    def save(self, *, project: Project, annotator: AbstractBaseUser, data: dict[str, Any]) -> Saved:
        return label_submit(
            project=project, item_id=data["item"], annotator=annotator, class_name=data["label"],
            duration_ms=data["duration_ms"], previous=data.get("previous"), idempotency_key=data.get("idempotency_key"),
        )  # fmt: skip


@extend_schema_view(post=extend_schema(examples=[
    OpenApiExample("Unsure", request_only=True, value={"item": 12, "reason": "unsure"}),
    OpenApiExample("With a note", request_only=True, value={"item": 12, "reason": "note", "note": "Two digits."}),
]))  # fmt: skip
class SkipCreateApi(_AnswerCreateApi):
    class Input(AnswerInput):
        reason = serializers.ChoiceField(choices=Skip.Reason.choices)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def save(self, *, project: Project, annotator: AbstractBaseUser, data: dict[str, Any]) -> Saved:
        return item_skip(
            project=project, item_id=data["item"], annotator=annotator, reason=data["reason"], note=data["note"],
            previous=data.get("previous"), idempotency_key=data.get("idempotency_key"),
        )  # fmt: skip


class UndoApi(APIView):
    """Withdraw the caller's answer for an item; the item is theirs to answer again."""

    class Input(serializers.Serializer[None]):
        item = serializers.IntegerField()

    class Output(serializers.Serializer[None]):
        item = HeldItemOutput(help_text="The item, held by the caller again.")
        queue = QueueOutput(allow_null=True, help_text="The refreshed queue with `?queue=1`, else null.")

    @extend_schema(
        request=Input,
        parameters=[QUEUE_PARAMETER],
        responses={200: Output, **errors(400, 404), 409: error_response(409, "No answer of the caller's to undo.", (
            "Nothing to undo for item 12: it has no answer of yours.", {"item": 12}
        ))},
    )  # fmt: skip
    def post(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.ANNOTATE)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        held = answer_undo(project=project, item_id=data.validated_data["item"], annotator=request.user)
        return Response({"item": _with_model_views(project, [held])[0], "queue": queue_if_asked(request, project)})


class HistoryApi(APIView):
    """The caller's ten most recent answers in the project, newest first."""

    class Output(serializers.Serializer[None]):
        answers = AnswerOutput(many=True)

    @extend_schema(responses={200: Output, **errors(404)})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.ANNOTATE)
        return Response({"answers": [answer_data(a) for a in answer_history(project=project, annotator=request.user)]})
