from django.contrib import admin

from labeling.models import Item, Label, LabelClass, ModelVersion, Project


class LabelClassInline(admin.TabularInline):
    model = LabelClass
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "modality", "strategy", "encoder", "adaptation", "finetune_last_block", "label_budget",
                    "retrain_every"]
    inlines = [LabelClassInline]
    filter_horizontal = ["members"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "split", "source_name", "gold_class"]
    list_filter = ["project", "split"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["item", "label_class", "annotator", "created_at", "duration_ms"]
    list_filter = ["item__project"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "status", "strategy", "labels_used", "created_at", "finished_at"]
    list_filter = ["project", "status"]
