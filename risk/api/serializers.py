from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from risk.models import EventType, Outbreak


class TradeImportSerializer(serializers.Serializer[None]):
    anchor = serializers.IntegerField()
    file = serializers.FileField(allow_empty_file=True)


class EventImportSerializer(serializers.Serializer[None]):
    file = serializers.FileField(allow_empty_file=True)


class SettlementAccountImportSerializer(serializers.Serializer[None]):
    kind = serializers.ChoiceField(choices=["balances", "transactions"])
    file = serializers.FileField(allow_empty_file=True)


SettlementAccountResultSerializer = inline_serializer(
    "SettlementAccountResult",
    {
        "delivery": serializers.IntegerField(),
        "rows": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(help_text="rows whose key is stored, or earlier in the file, alike"),
    },
)


class RowErrorSerializer(serializers.Serializer[None]):
    row = serializers.IntegerField()
    column = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()
    stored = serializers.DictField(
        required=False,
        help_text="conflicting_duplicate only: the record as stored (the subject masked, never the number)",
    )
    received = serializers.DictField(
        required=False, help_text="conflicting_duplicate only: the record as received (the subject masked)"
    )


# "errors" is also a property of every serializer, so this schema is built, not declared.
DeliveryResultSerializer = inline_serializer(
    "DeliveryResult",
    {
        "created": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(help_text="records already stored with the same content"),
        "conflicts": serializers.IntegerField(
            help_text="records whose key is stored with other content: not stored, listed in errors"
        ),
        "errors": RowErrorSerializer(
            many=True, help_text="the refused cells and the conflicts in row order, at most 10,000 items"
        ),
        "errors_total": serializers.IntegerField(help_text="all refused cells (conflicts are counted apart)"),
        "delivery": serializers.IntegerField(),
    },
)


class TradePushSerializer(serializers.Serializer[None]):
    """The body of a trade push (documentation only: the view reads the signed bytes itself)."""

    class Record(serializers.Serializer[None]):
        id_number = serializers.CharField()
        order_no = serializers.CharField()
        order_date = serializers.DateField()
        amount = serializers.CharField(help_text='a string or a JSON number, e.g. "1200.50"')

    anchor_uscc = serializers.CharField()
    records = Record(many=True)


class EventPushSerializer(serializers.Serializer[None]):
    class Event(serializers.Serializer[None]):
        subject_id = serializers.CharField()
        event_type = serializers.ChoiceField(choices=EventType.choices)
        event_date = serializers.DateField()
        value = serializers.CharField(required=False, allow_null=True)
        detail = serializers.CharField(required=False, allow_blank=True)
        event_id = serializers.CharField()

    events = Event(many=True)


class OutbreakSerializer(serializers.ModelSerializer[Outbreak]):
    # Blank passes here so that the service answers with its own codes.
    region_code = serializers.CharField(max_length=20, allow_blank=True)
    disease = serializers.CharField(max_length=100, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)

    class Meta:
        model = Outbreak
        fields = ["id", "region_code", "disease", "declared_on", "note", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]
