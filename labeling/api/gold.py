"""Gold items over REST (owners: the MANAGE action): list, mark with known answers, unmark."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.api.schema import error_response
from labeling.exceptions import NotFoundError
from labeling.models import Item
from labeling.permissions import Action, project_for
from labeling.services.gold import gold_mark, gold_unmark

_ERRORS = {
    400: error_response(400, "Unknown items or classes, evaluation or labeled items; "
                                                  "nothing was marked."),
    403: error_response(403, "A member whose role may not manage the project."),
    404: error_response(404, "No such project (or item), or not a member."),
}  # fmt: skip


class GoldAnswer(serializers.Serializer[None]):
    item = serializers.IntegerField()
    label = serializers.CharField(max_length=100)


class GoldOutput(serializers.Serializer[None]):
    gold_items = GoldAnswer(many=True)


def _gold_list(project_id: int) -> dict[str, list[dict[str, object]]]:
    rows = Item.objects.filter(project_id=project_id, gold=True).order_by("id")
    return {"gold_items": [{"item": pk, "label": name} for pk, name in rows.values_list("pk", "gold_class__name")]}


class GoldListApi(APIView):
    @extend_schema(responses={200: GoldOutput, **_ERRORS})
    def get(self, request: Request, project_id: int) -> Response:
        """The project's gold items and their known answers."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        return Response(_gold_list(project.pk))

    @extend_schema(request=GoldAnswer(many=True), responses={201: GoldOutput, **_ERRORS})
    def post(self, request: Request, project_id: int) -> Response:
        """Mark items as gold: a list of {item, label}, all or nothing."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        data = GoldAnswer(data=request.data, many=True, allow_empty=False)
        data.is_valid(raise_exception=True)
        gold_mark(project=project, answers=[(row["item"], row["label"]) for row in data.validated_data])
        return Response(_gold_list(project.pk), status=status.HTTP_201_CREATED)


class GoldDetailApi(APIView):
    @extend_schema(responses={204: None, **_ERRORS})
    def delete(self, request: Request, project_id: int, item_id: int) -> Response:
        """Unmark a gold item: answers given on it count as ordinary labels from then on."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        if not gold_unmark(project=project, item_ids=[item_id]):
            raise NotFoundError(f"Item {item_id} is not a gold item of this project.", {"item": item_id})
        return Response(status=status.HTTP_204_NO_CONTENT)
