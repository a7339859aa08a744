"""Strategy replays over the REST API: owners start one; roles that read results read its progress,
advice and plot."""

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.api.schema import error_response, errors
from labeling.artifacts import bytes_load
from labeling.exceptions import NotFoundError
from labeling.models import StrategyReplay
from labeling.permissions import Action, project_for
from labeling.selectors.replays import replay_get, replay_list
from labeling.services.replays import MAX_SEEDS, replay_request


class RecommendationOutput(serializers.Serializer[None]):
    strategy = serializers.CharField(allow_null=True, help_text="null when the replay recommends none.")
    reason = serializers.CharField()


class ReplayOutput(serializers.ModelSerializer[StrategyReplay]):
    progress = serializers.SerializerMethodField()
    recommendation = serializers.SerializerMethodField()
    plot_url = serializers.SerializerMethodField()

    class Meta:
        model = StrategyReplay
        fields = ["id", "status", "strategies", "batch_size", "seeds", "progress", "recommendation", "plot_url",
                  "error", "created_at", "finished_at"]  # fmt: skip

    def get_progress(self, replay: StrategyReplay) -> dict[str, int]:
        return {"done": replay.runs_done, "total": replay.runs_total}

    @extend_schema_field(RecommendationOutput(allow_null=True))
    def get_recommendation(self, replay: StrategyReplay) -> dict[str, str | None] | None:
        return replay.result.get("recommendation")

    def get_plot_url(self, replay: StrategyReplay) -> str | None:
        if not replay.plot_name:
            return None
        return reverse("labeling:replay-plot", kwargs={"project_id": replay.project_id, "replay_id": replay.pk})


class ReplayDetailOutput(ReplayOutput):
    result = serializers.JSONField()

    class Meta(ReplayOutput.Meta):
        fields = [*ReplayOutput.Meta.fields, "result"]


class ReplayListApi(APIView):
    class Input(serializers.Serializer[None]):
        strategies = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False)
        batch_size = serializers.IntegerField(required=False, min_value=1)
        seeds = serializers.IntegerField(required=False, min_value=1, max_value=MAX_SEEDS, default=3)

    @extend_schema(responses={200: ReplayOutput(many=True), **errors(404)})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        return Response(ReplayOutput(replay_list(project=project), many=True).data)

    @extend_schema(
        request=Input,
        examples=[
            OpenApiExample(
                "Margin and BADGE", request_only=True, value={"strategies": ["margin", "badge"], "batch_size": 20}
            )
        ],
        responses={
            202: ReplayOutput,
            **errors(400, 403, 404),
            409: error_response(
                409,
                "A replay of the project is already queued or running.",
                ("A replay of project 'digits' is already queued or running.", {"project": 7}),
            ),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Start a replay (owners): 202 with the queued replay; 409 while one is queued or running."""
        project = project_for(user=request.user, project_id=project_id, action=Action.MANAGE)
        body = self.Input(data=request.data)
        body.is_valid(raise_exception=True)
        replay = replay_request(project=project, requested_by=request.user, **body.validated_data)
        return Response(ReplayOutput(replay).data, status=status.HTTP_202_ACCEPTED)


class ReplayDetailApi(APIView):
    @extend_schema(responses={200: ReplayDetailOutput, **errors(404)})
    def get(self, request: Request, project_id: int, replay_id: int) -> Response:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        return Response(ReplayDetailOutput(replay_get(project=project, replay_id=replay_id)).data)


class ReplayPlotApi(APIView):
    @extend_schema(
        operation_id="projects_replays_plot_retrieve",
        responses={(200, "image/svg+xml"): OpenApiTypes.STR, **errors(404)},
    )
    def get(self, request: Request, project_id: int, replay_id: int) -> HttpResponse:
        project = project_for(user=request.user, project_id=project_id, action=Action.READ)
        replay = replay_get(project=project, replay_id=replay_id)
        if not replay.plot_name:
            raise NotFoundError(f"Replay {replay_id} has no plot yet (status {replay.status}).", {"replay": replay_id})
        return HttpResponse(bytes_load(replay.plot_name), content_type="image/svg+xml")
