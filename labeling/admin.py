"""Every table in the Django admin, with the filters and searches an admin tracing a problem needs
(who labeled what, which run failed, which item is held by whom)."""

from django.contrib import admin

from labeling.models import (
    Assignment,
    EmbeddingSet,
    Item,
    ItemScore,
    Label,
    LabelChange,
    LabelClass,
    Membership,
    ModelVersion,
    Project,
    ReviewDecision,
    Skip,
    StrategyReplay,
)


class LabelClassInline(admin.TabularInline):
    model = LabelClass
    extra = 0
    fields = ["name", "position", "key", "description"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role"]
    raw_id_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "modality", "strategy", "metric", "encoder", "label_budget", "retrain_every", "prefetch",
                    "min_visible_ms", "audit_fraction"]
    list_filter = ["modality", "strategy", "encoder"]
    search_fields = ["name"]
    inlines = [LabelClassInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["project", "role"]
    search_fields = ["user__username", "project__name"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ["item", "label_class", "reviewer", "updated_at"]
    list_filter = ["item__project", "reviewer"]
    search_fields = ["item__source_name", "reviewer__username"]
    raw_id_fields = ["item"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "split", "source_name", "gold_class", "audit", "cold_rank"]
    list_filter = ["project", "split", "audit"]
    search_fields = ["source_name", "text"]
    raw_id_fields = ["gold_class"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["item", "label_class", "annotator", "created_at", "updated_at", "duration_ms"]
    list_filter = ["item__project", "annotator", "label_class"]
    search_fields = ["item__source_name", "annotator__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["item"]


@admin.register(LabelChange)
class LabelChangeAdmin(admin.ModelAdmin):
    list_display = ["item", "annotator", "previous_class", "label_class", "changed_by", "created_at"]
    list_filter = ["item__project", "annotator"]
    search_fields = ["item__source_name", "annotator__username"]
    raw_id_fields = ["item"]


@admin.register(Skip)
class SkipAdmin(admin.ModelAdmin):
    list_display = ["item", "annotator", "reason", "note", "created_at"]
    list_filter = ["item__project", "reason", "annotator"]
    search_fields = ["note", "item__source_name"]
    raw_id_fields = ["item"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["item", "annotator", "status", "model_version", "created_at", "expires_at"]
    list_filter = ["item__project", "status", "annotator"]
    raw_id_fields = ["item", "model_version"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "status", "strategy", "labels_used", "attempts", "created_at", "finished_at"]
    list_filter = ["project", "status", "strategy"]
    search_fields = ["error"]


@admin.register(ItemScore)
class ItemScoreAdmin(admin.ModelAdmin):
    list_display = ["model_version", "rank", "item", "score"]
    list_filter = ["model_version__project"]
    raw_id_fields = ["item", "model_version"]


@admin.register(StrategyReplay)
class StrategyReplayAdmin(admin.ModelAdmin):
    list_display = ["project", "status", "batch_size", "seeds", "runs_done", "runs_total", "created_at"]
    list_filter = ["project", "status"]
    search_fields = ["error"]


@admin.register(EmbeddingSet)
class EmbeddingSetAdmin(admin.ModelAdmin):
    list_display = ["project", "encoder", "view", "status", "done", "total", "n_items", "updated_at"]
    list_filter = ["project", "encoder", "status"]
    search_fields = ["error"]
