from django.contrib import admin

from labeling.models import Item, Label, LabelChange, LabelClass, ModelVersion, Project, Skip


class LabelClassInline(admin.TabularInline):
    model = LabelClass
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "modality", "strategy", "encoder", "adaptation", "finetune_last_block", "label_budget",
                    "retrain_every", "prefetch", "min_visible_ms"]
    inlines = [LabelClassInline]
    filter_horizontal = ["members"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "split", "source_name", "gold_class"]
    list_filter = ["project", "split"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["item", "label_class", "annotator", "created_at", "duration_ms"]
    list_filter = ["item__project", "annotator"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "status", "strategy", "labels_used", "created_at", "finished_at"]
    list_filter = ["project", "status"]


@admin.register(LabelChange)
class LabelChangeAdmin(admin.ModelAdmin):
    list_display = ["item", "annotator", "previous_class", "label_class", "changed_by", "created_at"]
    list_filter = ["item__project", "annotator"]


@admin.register(Skip)
class SkipAdmin(admin.ModelAdmin):
    list_display = ["item", "annotator", "reason", "note", "created_at"]
    list_filter = ["item__project", "reason", "annotator"]
    search_fields = ["note"]
