from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api.fields import MoneyField, ScopedPrimaryKeyRelatedField
from core.masking import mask_id_number, mask_phone
from partners.models import Anchor, Farmer, MarginEntry, OrgNode
from partners.selectors import latest_capacity


class AnchorSerializer(serializers.ModelSerializer[Anchor]):
    guarantee_capacity = MoneyField(write_only=True)
    registered_capital = MoneyField(required=False, allow_null=True)
    uscc = serializers.CharField(max_length=32)
    # A node out of the user's reach answers 404 not_found, as one that does not exist (core.api.scopes).
    org_node = ScopedPrimaryKeyRelatedField(queryset=OrgNode.objects.all(), required=False)

    class Meta:
        model = Anchor
        fields = [
            "id",
            "name",
            "uscc",
            "status",
            "guarantee_capacity",
            "legal_representative",
            "registered_capital",
            "industry",
            "contact_name",
            "contact_phone",
            "address",
            "org_node",
            "approved_on",
            "created_at",
        ]
        read_only_fields = ["status", "approved_on", "created_at"]

    def to_representation(self, instance: Anchor) -> dict[str, Any]:
        data = super().to_representation(instance)
        capacity = latest_capacity(instance)
        data["guarantee_capacity"] = None if capacity is None else f"{capacity:.2f}"
        return data


class FarmerSerializer(serializers.ModelSerializer[Farmer]):
    """Lists and records: identity and phone always masked (the server never sends them in full here).

    Nothing beside them from which the hidden digits could be rebuilt: a resident ID is region (6) + birth
    date (8) + sequence (3) + check digit, and the mask shows the first four and the last four, so the
    region code and the birth date are sent only with a logged reveal (see the view).
    """

    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Farmer
        fields = ["id", "name", "id_number", "phone", "breed", "org_node"]

    def get_id_number(self, farmer: Farmer) -> str:
        return farmer.id_masked or mask_id_number(farmer.id_number)

    def get_phone(self, farmer: Farmer) -> str:
        return mask_phone(farmer.phone)


class MarginEntrySerializer(serializers.ModelSerializer[MarginEntry]):
    """One margin entry; written as ``{kind, amount, note?}``, answered with its ``status``."""

    kind = serializers.ChoiceField(choices=[MarginEntry.Kind.DEPOSIT, MarginEntry.Kind.WITHDRAWAL])
    amount = MoneyField(min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = MarginEntry
        fields = ["id", "program", "kind", "amount", "status", "business_date", "note", "confirmed_by", "confirmed_at"]
        read_only_fields = ["program", "status", "business_date", "confirmed_by", "confirmed_at"]
