from django.urls import path

from labeling.api.annotation import HistoryApi, LabelCreateApi, NextItemApi, QueueApi, SkipCreateApi, UndoApi
from labeling.api.auth import TokenApi
from labeling.api.exports import ExportApi, ModelFileApi, PredictionsApi
from labeling.api.gold import GoldDetailApi, GoldListApi
from labeling.api.members import MemberDetailApi, MemberListApi
from labeling.api.projects import (
    ImportApi,
    ItemImageApi,
    ModelVersionListApi,
    ProjectDetailApi,
    ProjectListApi,
)
from labeling.api.replays import ReplayDetailApi, ReplayListApi, ReplayPlotApi
from labeling.api.reviews import ReviewCreateApi, ReviewQueueApi

app_name = "labeling"

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="auth-token"),
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/<int:project_id>/", ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<int:project_id>/next-item/", NextItemApi.as_view(), name="next-item"),
    path("projects/<int:project_id>/queue/", QueueApi.as_view(), name="queue"),
    path("projects/<int:project_id>/labels/", LabelCreateApi.as_view(), name="label-create"),
    path("projects/<int:project_id>/skips/", SkipCreateApi.as_view(), name="skip-create"),
    path("projects/<int:project_id>/undo/", UndoApi.as_view(), name="undo"),
    path("projects/<int:project_id>/history/", HistoryApi.as_view(), name="history"),
    path("projects/<int:project_id>/review-queue/", ReviewQueueApi.as_view(), name="review-queue"),
    path("projects/<int:project_id>/reviews/", ReviewCreateApi.as_view(), name="review-create"),
    path("projects/<int:project_id>/gold/", GoldListApi.as_view(), name="gold"),
    path("projects/<int:project_id>/gold/<int:item_id>/", GoldDetailApi.as_view(), name="gold-detail"),
    path("projects/<int:project_id>/model-versions/", ModelVersionListApi.as_view(), name="model-versions"),
    path("projects/<int:project_id>/export/", ExportApi.as_view(), name="export"),
    path("projects/<int:project_id>/model-versions/<int:number>/model", ModelFileApi.as_view(), name="model-file"),
    path("projects/<int:project_id>/predictions/", PredictionsApi.as_view(), name="predictions"),
    path("projects/<int:project_id>/imports/", ImportApi.as_view(), name="imports"),
    path("projects/<int:project_id>/members/", MemberListApi.as_view(), name="members"),
    path("projects/<int:project_id>/members/<int:user_id>/", MemberDetailApi.as_view(), name="member-detail"),
    path("projects/<int:project_id>/replays/", ReplayListApi.as_view(), name="replays"),
    path("projects/<int:project_id>/replays/<int:replay_id>/", ReplayDetailApi.as_view(), name="replay-detail"),
    path("projects/<int:project_id>/replays/<int:replay_id>/plot.svg", ReplayPlotApi.as_view(), name="replay-plot"),
    path("items/<int:item_id>/image/", ItemImageApi.as_view(), name="item-image"),
]
