"""The shapes of the dicts the annotator's endpoints answer with (labeling.api.annotation), for the schema.

The views build plain dicts for speed; these serializers only describe them, and the contract
test (tests/labeling/api/test_contract.py) fails when a description and an answer part ways.
"""

from rest_framework import serializers


class ItemOutput(serializers.Serializer[None]):
    id = serializers.IntegerField()
    source_name = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField(allow_blank=True, help_text="Blank for a text item.")


class ModelViewOutput(serializers.Serializer[None]):
    version = serializers.IntegerField(allow_null=True)
    strategy = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    top_classes = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="[[class name, probability], ...], best first; [] before any model.",
    )
    why = serializers.CharField(allow_blank=True)


class HeldItemOutput(ItemOutput):
    model = ModelViewOutput()
    expires_at = serializers.DateTimeField()


class RetrainStateOutput(serializers.Serializer[None]):
    version = serializers.IntegerField()
    state = serializers.CharField()


class ServingOutput(serializers.Serializer[None]):
    version = serializers.IntegerField()
    strategy = serializers.CharField()
    accuracy = serializers.FloatField(allow_null=True)
    n_eval = serializers.IntegerField(allow_null=True)


class StatusOutput(serializers.Serializer[None]):
    labels_spent = serializers.IntegerField()
    label_budget = serializers.IntegerField()
    budget_reached = serializers.BooleanField()
    mine_today = serializers.IntegerField()
    mine_total = serializers.IntegerField()
    skips = serializers.DictField(child=serializers.IntegerField(), help_text="This annotator's skips per reason.")
    retrain = RetrainStateOutput(allow_null=True)
    serving = ServingOutput(allow_null=True)


class QueueOutput(serializers.Serializer[None]):
    items = HeldItemOutput(many=True, help_text="The held items; the first is the one to label now.")
    status = StatusOutput()
    message = serializers.CharField(allow_blank=True, help_text="Why there are no items, at the budget.")


class AnswerOutput(serializers.Serializer[None]):
    item = ItemOutput()
    answer = serializers.DictField(help_text='{"kind": "label", "label": name} or {"kind": "skip", "reason", "note"}.')
    at = serializers.DateTimeField()


class AnswerSavedOutput(AnswerOutput):
    queue = QueueOutput(allow_null=True, help_text="The refreshed queue with `?queue=1`, else null.")
