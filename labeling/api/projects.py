from django.http import FileResponse, StreamingHttpResponse
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.exceptions import NotFoundError, RetrainAlreadyActiveError
from labeling.exports import FORMATS, export_rows, render
from labeling.models import EmbeddingSet, Item, Membership, ModelVersion, Project
from labeling.selectors.projects import project_get_for_user, project_list_for_user, project_progress
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

    def get(self, request: Request) -> Response:
        projects = project_list_for_user(user=request.user).prefetch_related("label_classes")
        return Response(ProjectOutput(projects, many=True).data)

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
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
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
        labels_per_item = serializers.IntegerField(min_value=1, max_value=10, required=False)
        resolution = serializers.ChoiceField(choices=Project.Resolution.choices, required=False)
        gold_rate = serializers.FloatField(min_value=0.0, max_value=0.5, required=False)

    def patch(self, request: Request, project_id: int) -> Response:
        """Change the budget, retrain_every, strategy, labels_per_item, resolution or gold_rate (staff),
        validated as at creation."""
        _staff_only(request, "change a project")
        project = project_get_for_user(user=request.user, project_id=project_id)
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        project_update(project=project, **data.validated_data)
        return Response(ProjectOutput(project).data)


class ImportApi(APIView):
    """Upload items (staff, multipart `files`): images as files or one zip, texts as one CSV/JSONL."""

    parser_classes = [MultiPartParser]

    class Input(serializers.Serializer[None]):
        eval_fraction = serializers.FloatField(min_value=0.0, max_value=0.9, default=0.0)
        text_column = serializers.CharField(max_length=100, default="text")
        label_column = serializers.CharField(max_length=100, default="label")

    def post(self, request: Request, project_id: int) -> Response:
        _staff_only(request, "import items")
        project = project_get_for_user(user=request.user, project_id=project_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        summary = items_import_uploads(project=project, files=request.FILES.getlist("files"), **data.validated_data)
        return Response({"pool": summary.pool, "eval": summary.eval}, status=status.HTTP_201_CREATED)


class ModelVersionOutput(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields = ["number", "status", "strategy", "labels_used", "metrics", "error", "created_at", "finished_at"]


class ModelVersionListApi(APIView):
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        return Response(ModelVersionOutput(model_version_list(project=project), many=True).data)

    def post(self, request: Request, project_id: int) -> Response:
        """Retrain now (staff): 202 with the queued version, 409 while one is queued or running."""
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can start a retrain.")
        project = project_get_for_user(user=request.user, project_id=project_id)
        version = model_version_request(project=project, force=True)
        if version is None:
            raise RetrainAlreadyActiveError(
                f"A retrain of project {project.name!r} is already queued or running.", {"project": project.pk}
            )
        return Response(ModelVersionOutput(version).data, status=status.HTTP_202_ACCEPTED)


class ExportApi(APIView):
    class QueryInput(serializers.Serializer[None]):
        format = serializers.ChoiceField(choices=sorted(FORMATS), default="json")

    def get(self, request: Request, project_id: int) -> StreamingHttpResponse:
        project = project_get_for_user(user=request.user, project_id=project_id)
        query = self.QueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["format"]
        response = StreamingHttpResponse(render(export_rows(project=project), fmt), content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="project-{project.pk}-labels.{fmt}"'
        return response


class ItemImageApi(APIView):
    def get(self, request: Request, item_id: int) -> FileResponse:
        item = Item.objects.filter(pk=item_id).first()
        if item is None or not item.image:
            raise NotFoundError(f"Item {item_id} does not exist or has no image.", {"item": item_id})
        project_get_for_user(user=request.user, project_id=item.project_id)
        return FileResponse(item.image.open("rb"))


def _embedding_progress(embedding_set: EmbeddingSet | None) -> dict[str, object]:
    if embedding_set is None:
        return {"status": "queued", "done": 0, "total": None, "items": 0, "error": ""}
    return {"status": embedding_set.status, "done": embedding_set.done, "total": embedding_set.total,
            "items": embedding_set.n_items, "error": embedding_set.error}  # fmt: skip
