from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.models import Item, Label
from labeling.selectors.projects import project_get_for_user
from labeling.services.assignments import assignment_next
from labeling.services.labels import label_submit


class ItemOutput(serializers.ModelSerializer[Item]):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "source_name", "text", "image_url"]

    def get_image_url(self, item: Item) -> str:
        return reverse("labeling:item-image", args=[item.pk]) if item.image else ""


class NextItemApi(APIView):
    """The item the caller should label now; the same one until they label it."""

    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        assignment = assignment_next(project=project, annotator=request.user)
        if assignment is None:
            return Response({"item": None, "model_version": None})
        version = assignment.model_version
        return Response(
            {"item": ItemOutput(assignment.item).data, "model_version": version.number if version else None}
        )


class LabelCreateApi(APIView):
    class Input(serializers.Serializer[None]):
        item = serializers.IntegerField()
        label = serializers.CharField(max_length=100)
        duration_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, default=0)

    class Output(serializers.ModelSerializer[Label]):
        label = serializers.CharField(source="label_class.name")
        annotator = serializers.CharField(source="annotator.username")

        class Meta:
            model = Label
            fields = ["id", "item", "label", "annotator", "duration_ms", "created_at"]

    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        label = label_submit(
            project=project,
            item_id=data.validated_data["item"],
            annotator=request.user,
            class_name=data.validated_data["label"],
            duration_ms=data.validated_data["duration_ms"],
        )
        return Response(self.Output(label).data, status=status.HTTP_201_CREATED)
