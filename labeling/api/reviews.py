"""The reviewer's endpoints: the queue of items in review and the decisions on them. Both need the
REVIEW action on the project (owners and reviewers; labeling.permissions)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.api.annotation import item_data
from labeling.api.schema import error_response
from labeling.models import ReviewDecision
from labeling.permissions import Action, project_for
from labeling.selectors.review import ReviewItem, review_queue
from labeling.services.reviews import review_decide

_ACCESS_ERRORS = {
    403: error_response(403, "A member whose role may not review."),
    404: error_response(404, "No such project, or not a member (the same message)."),
}


class ReviewItemOutput(serializers.Serializer[ReviewItem]):
    item = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()
    suggested = serializers.CharField(allow_null=True, help_text="The most frequent answer; null on a tie.")

    def get_item(self, row: ReviewItem) -> dict[str, Any]:
        return item_data(row.item)

    def get_answers(self, row: ReviewItem) -> list[dict[str, str]]:
        return [{"annotator": a.annotator, "label": a.label} for a in row.answers]


class ReviewQueueOutput(serializers.Serializer[None]):
    items = ReviewItemOutput(many=True)
    total = serializers.IntegerField(help_text="Items waiting for review in all (the list shows the first 50).")


class DecisionOutput(serializers.ModelSerializer[ReviewDecision]):
    label = serializers.CharField(source="label_class.name")
    reviewer = serializers.CharField(source="reviewer.username")

    class Meta:
        model = ReviewDecision
        fields = ["item", "label", "note", "reviewer", "updated_at"]


class ReviewQueueApi(APIView):
    @extend_schema(responses={200: ReviewQueueOutput, **_ACCESS_ERRORS})
    def get(self, request: Request, project_id: int) -> Response:
        """Items whose labels disagree under the project's policy, with every annotator's answer."""
        project = project_for(user=request.user, project_id=project_id, action=Action.REVIEW)
        rows, total = review_queue(project=project)
        return Response({"items": ReviewItemOutput(rows, many=True).data, "total": total})


class ReviewCreateApi(APIView):
    class Input(serializers.Serializer[None]):
        item = serializers.IntegerField()
        label = serializers.CharField(max_length=100)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        request=Input,
        responses={
            201: DecisionOutput,
            400: error_response(400, "Invalid input, an unknown class, another project's item."),
            409: error_response(409, "The item is not waiting for review; nothing saved."),
            **_ACCESS_ERRORS,
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Decide an item in review (or change the decision); the class overrides its labels."""
        project = project_for(user=request.user, project_id=project_id, action=Action.REVIEW)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        decision = review_decide(
            project=project, item_id=data.validated_data["item"], reviewer=request.user,
            class_name=data.validated_data["label"], note=data.validated_data["note"],
        )  # fmt: skip
        return Response(DecisionOutput(decision).data, status=status.HTTP_201_CREATED)
