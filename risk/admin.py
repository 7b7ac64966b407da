from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from risk.models import (
    DataProvider,
    MonitoringEvent,
    Outbreak,
    ProviderConflict,
    ProviderDelivery,
    ProviderRequestNonce,
    TradeRecord,
)
from risk.services.providers import provider_create


@admin.register(DataProvider)
class DataProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A new provider gets its secret from ``provider_create``; the secret is shown, never typed."""

    list_display = ["code", "name", "is_default", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["secret", "is_default"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly_fields, "code"] if obj is not None else ["is_default"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["is_active"] if obj is None else []

    def save_model(self, request: HttpRequest, obj: DataProvider, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = provider_create(name=obj.name, code=obj.code, actor=request.user)  # type: ignore[arg-type]
        obj.pk, obj.secret = created.pk, created.secret

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderDelivery)
class ProviderDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "business_date",
        "provider",
        "kind",
        "channel",
        "anchor",
        "created",
        "duplicates",
        "conflicts",
        "errors",
    ]
    list_filter = ["kind", "channel"]
    list_select_related = ["provider", "anchor"]
    search_fields = ["sha256", "anchor__name"]


@admin.register(ProviderConflict)
class ProviderConflictAdmin(ReadOnlyAdmin):
    """Both versions as kept: the subject as its keyed hash (the delivery page shows it masked)."""

    list_display = ["delivery", "row", "key"]
    list_select_related = ["delivery"]
    search_fields = ["key"]


@admin.register(TradeRecord)
class TradeRecordAdmin(ReadOnlyAdmin):
    list_display = ["order_no", "order_date", "amount", "anchor", "delivery"]
    list_select_related = ["anchor", "delivery"]
    search_fields = ["order_no"]
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page


@admin.register(MonitoringEvent)
class MonitoringEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "event_type", "event_date", "subject_kind", "value", "provider"]
    list_filter = ["event_type", "subject_kind"]
    list_select_related = ["provider"]
    search_fields = ["event_id", "subject_hash"]


@admin.register(Outbreak)
class OutbreakAdmin(ReadOnlyAdmin):
    list_display = ["declared_on", "region_code", "disease", "created_by"]
    list_select_related = ["created_by"]
    search_fields = ["region_code", "disease"]


@admin.register(ProviderRequestNonce)
class ProviderRequestNonceAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "signature"]
    list_select_related = ["provider"]
    search_fields = ["signature"]
