from django.contrib import admin

from core.models import AuditEvent, BusinessDate, StoredFile


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Audit-like tables are never edited, not even by an administrator."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "business_date", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username"]
    list_select_related = ["actor"]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "sha256", "size", "uploaded_by", "created_at"]
    search_fields = ["name", "sha256"]
    list_select_related = ["uploaded_by"]


@admin.register(BusinessDate)
class BusinessDateAdmin(ReadOnlyAdmin):
    list_display = ["date", "updated_at"]
