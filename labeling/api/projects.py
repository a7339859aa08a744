from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.api.schema import error_response, errors
from labeling.exceptions import NotFoundError, RetrainAlreadyActiveError
from labeling.models import EmbeddingSet, Membership, ModelVersion, Project
from labeling.permissions import Action, item_image_for, project_for
from labeling.selectors.projects import project_list_for_user, project_progress
from labeling.selectors.training import model_version_list
from labeling.services.imports import items_import_uploads
from labeling.services.projects import project_create, project_member_add, project_update
from labeling.services.training import model_version_request
from learner.ranking import DEFAULT_STRATEGY


class ProjectOutput(serializers.ModelSerializer[Project]):
    classes = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "name", "modality", "classes", "label_budget", "retrain_every", "strategy", "diverse_batches",
                  "committee_size", "density_beta", "encoder", "adaptation", "finetune_last_block", "metric",
                  "labels_per_item", "resolution", "gold_rate"]

    def get_classes(self, project: Project) -> list[str]:
        return [c.name for c in project.label_classes.all()]


class EmbeddingProgressOutput(serializers.Serializer[None]):
    status = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    items = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class ProgressOutput(serializers.Serializer[None]):
    labels_spent = serializers.IntegerField()
    label_budget = serializers.IntegerField()
    labeled_items = serializers.IntegerField()
    pool_items = serializers.IntegerField()
    eval_items = serializers.IntegerField()
    labels_behind = serializers.IntegerField()
    model_version = serializers.IntegerField(allow_null=True, help_text="The newest finished model version.")
    embeddings = EmbeddingProgressOutput(allow_null=True, help_text="null for a project without an encoder.")


class ProjectDetailOutput(ProjectOutput):
    progress = ProgressOutput()

    class Meta(ProjectOutput.Meta):
        fields = [*ProjectOutput.Meta.fields, "progress"]


def _staff_only(request: Request, what: str) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(f"Only staff can {what}.")


class ProjectListApi(APIView):
    class Input(serializers.Serializer[None]):
        name = serializers.CharField(max_length=200)
        modality = serializers.ChoiceField(choices=Project.Modality.choices)
        classes = serializers.ListField(child=serializers.CharField(max_length=100), min_length=2)
        label_budget = serializers.IntegerField(min_value=1, default=500)
        retrain_every = serializers.IntegerField(min_value=1, default=20)
        strategy = serializers.CharField(max_length=50, default=DEFAULT_STRATEGY)
        encoder = serializers.CharField(max_length=50, default="", allow_blank=True)
        labels_per_item = serializers.IntegerField(min_value=1, max_value=10, default=1)
        resolution = serializers.ChoiceField(choices=Project.Resolution.choices, default=Project.Resolution.MAJORITY)
        gold_rate = serializers.FloatField(min_value=0.0, max_value=0.5, default=0.1)

    @extend_schema(responses={200: ProjectOutput(many=True)})
    def get(self, request: Request) -> Response:
        projects = project_list_for_user(user=request.user).prefetch_related("label_classes")
        return Response(ProjectOutput(projects, many=True).data)

    @extend_schema(
        request=Input,
        responses={201: ProjectOutput, **errors(400, 403)},
        examples=[OpenApiExample("Reviews", request_only=True, value={
            "name": "reviews", "modality": "text", "classes": ["fresh", "rotten"], "label_budget": 500,
            "retrain_every": 20, "strategy": "margin", "encoder": "minilm-l6",
        })],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        """Create a project (staff): 201 with the project."""
        _staff_only(request, "create projects")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        project = project_create(class_names=fields.pop("classes"), **fields)
        project_member_add(project=project, user=request.user, role=Membership.Role.OWNER)
        return Response(ProjectOutput(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema(responses={200: ProjectDetailOutput, **errors(404)})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.OPEN)
        progress = project_progress(project=project)
        data = dict(ProjectOutput(project).data)
        data["progress"] = {
            "labels_spent": progress.labels_spent,
            "label_budget": progress.label_budget,
            "labeled_items": progress.labeled_items,
            "pool_items": progress.pool_items,
            "eval_items": progress.eval_items,
            "labels_behind": progress.labels_behind,
            "model_version": progress.latest_version.number if progress.latest_version else None,
            "embeddings": _embedding_progress(progress.embeddings) if project.encoder else None,
        }
        return Response(data)

    class UpdateInput(serializers.Serializer[None]):
        label_budget = serializers.IntegerField(min_value=1, required=False)
        retrain_every = serializers.IntegerField(min_value=1, required=False)
        strategy = serializers.CharField(max_length=50, required=False)
        target_score = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, allow_null=True)
        labels_per_item = serializers.IntegerField(min_value=1, max_value=10, required=False)
        resolution = serializers.ChoiceField(choices=Project.Resolution.choices, required=False)
        gold_rate = serializers.FloatField(min_value=0.0, max_value=0.5, required=False)

    @extend_schema(
        request=UpdateInput,
        responses={200: ProjectOutput, **errors(400, 403, 404)},
        examples=[OpenApiExample("Raise the budget", request_only=True, value={"label_budget": 800})],
    )
    def patch(self, request: Request, project_id: int) -> Response:
        """Change the budget, retrain_every, strategy, labels_per_item, resolution, gold_rate or
        target score (owners), validated as at creation."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        project_update(project=project, **data.validated_data)
        return Response(ProjectOutput(project).data)


class ImportApi(APIView):
    """Upload items (owners, multipart `files`): images as files or one zip, texts as one CSV/JSONL."""

    parser_classes = [MultiPartParser]

    class Input(serializers.Serializer[None]):
        eval_fraction = serializers.FloatField(min_value=0.0, max_value=0.9, default=0.0)
        text_column = serializers.CharField(max_length=100, default="text")
        label_column = serializers.CharField(max_length=100, default="label")

    class UploadInput(Input):
        files = serializers.ListField(child=serializers.FileField(), help_text="Images, one zip, or one CSV/JSONL.")

    class Output(serializers.Serializer[None]):
        pool = serializers.IntegerField(help_text="Items added to the pool.")
        eval = serializers.IntegerField(help_text="Items held out for evaluation.")

    @extend_schema(
        request={"multipart/form-data": UploadInput},
        responses={201: Output, **errors(400, 403, 404)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        summary = items_import_uploads(project=project, files=request.FILES.getlist("files"), **data.validated_data)
        return Response({"pool": summary.pool, "eval": summary.eval}, status=status.HTTP_201_CREATED)


class ModelVersionOutput(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields = ["number", "status", "strategy", "labels_used", "metrics", "error", "created_at", "finished_at"]


class ModelVersionListApi(APIView):
    @extend_schema(responses={200: ModelVersionOutput(many=True), **errors(404)})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        return Response(ModelVersionOutput(model_version_list(project=project), many=True).data)

    @extend_schema(
        request=None,
        responses={
            202: ModelVersionOutput,
            **errors(403, 404),
            409: error_response(409, "A retrain is already queued or running, or no label is new since the last."),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Retrain now (owners): 202 with the queued version, 409 while one is queued or running."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        version = model_version_request(project=project, force=True)
        if version is None:
            raise RetrainAlreadyActiveError(
                f"A retrain of project {project.name!r} is already queued or running.", {"project": project.pk}
            )
        return Response(ModelVersionOutput(version).data, status=status.HTTP_202_ACCEPTED)


class ItemImageApi(APIView):
    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, **errors(404)})
    def get(self, request: Request, item_id: int) -> FileResponse:
        item = item_image_for(user=request.user, item_id=item_id)
        if not item.image:
            raise NotFoundError(f"Item {item_id} has no image.", {"item": item_id})
        return FileResponse(item.image.open("rb"))


def _embedding_progress(embedding_set: EmbeddingSet | None) -> dict[str, object]:
    if embedding_set is None:
        return {"status": "queued", "done": 0, "total": None, "items": 0, "error": ""}
    return {"status": embedding_set.status, "done": embedding_set.done, "total": embedding_set.total,
            "items": embedding_set.n_items, "error": embedding_set.error}  # fmt: skip
