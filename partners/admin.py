from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin
from partners.models import (
    Agreement,
    Anchor,
    AnchorAssessment,
    AnchorFarmer,
    Farmer,
    HoldingImport,
    MarginEntry,
    OrgNode,
    Product,
    ProductHolding,
    Program,
    ProgramChange,
    ProgramStatusChange,
    User,
)
from partners.services.programs import PROGRAM_PARAMETERS


@admin.register(OrgNode)
class OrgNodeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "kind", "sub_branch_class", "parent"]
    list_filter = ["kind", "sub_branch_class"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]


@admin.register(User)
class BankUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "display_name", "role", "org_node", "anchor", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "display_name"]
    list_select_related = ["org_node", "anchor"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Role"), {"fields": ("role", "org_node", "anchor", "display_name", "phone")}),
    )


@admin.register(Anchor)
class AnchorAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "uscc", "status", "org_node", "approved_on"]
    list_filter = ["status"]
    search_fields = ["name", "uscc"]
    list_select_related = ["org_node"]
    readonly_fields = ["status", "approved_by", "approved_on", "created_by"]


@admin.register(AnchorAssessment)
class AnchorAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["anchor", "assessed_on", "guarantee_capacity", "rating"]
    search_fields = ["anchor__name"]
    list_select_related = ["anchor"]


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["anchor", "kind", "number", "signed_on", "expires_on"]
    search_fields = ["number", "anchor__name"]
    list_select_related = ["anchor"]


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """Read the parameters here; they change only through a programme change in the application.

    The admin would skip the services' range checks and the four eyes of a change, so the parameters,
    the status and the anchor are read-only here and no programme is added here.
    """

    list_display = ["name", "anchor", "status", "annual_rate", "total_cap"]
    list_filter = ["status"]
    search_fields = ["name", "anchor__name"]
    list_select_related = ["anchor"]
    readonly_fields = ["anchor", *PROGRAM_PARAMETERS, "status", "breaker_accepted_ratio", "created_by"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ProgramChange)
class ProgramChangeAdmin(ReadOnlyAdmin):
    list_display = ["program", "status", "effective_from", "proposed_by", "decided_by", "applied_on"]
    list_filter = ["status"]
    list_select_related = ["program", "proposed_by", "decided_by"]
    search_fields = ["program__name"]


@admin.register(ProgramStatusChange)
class ProgramStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["program", "business_date", "from_status", "to_status", "npl_ratio", "actor"]
    list_select_related = ["program", "actor"]
    search_fields = ["program__name"]


@admin.register(MarginEntry)
class MarginEntryAdmin(ReadOnlyAdmin):
    list_display = ["program", "business_date", "kind", "amount", "status", "confirmed_by", "reference"]
    list_filter = ["kind", "status"]
    list_select_related = ["program", "confirmed_by"]
    search_fields = ["program__name", "reference"]


@admin.register(Farmer)
class FarmerAdmin(ReadOnlyAdmin):
    list_display = ["name", "id_masked", "org_node"]
    search_fields = ["name", "id_hash"]
    list_select_related = ["org_node"]
    # The full numbers are revealed (and logged) on the farmer's page only; the region code and the birth
    # date are the masked digits of the identity number, so they stay out of the admin as well.
    exclude = ["id_number", "phone", "birth_date", "region_code"]


@admin.register(AnchorFarmer)
class AnchorFarmerAdmin(ReadOnlyAdmin):
    list_display = ["anchor", "farmer", "first_recommended_on"]
    list_select_related = ["anchor", "farmer"]
    search_fields = ["anchor__name", "farmer__name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The administrator keeps the product list; a product is retired by unticking ``active``, never deleted."""

    list_display = ["code", "name", "active", "position"]
    list_editable = ["active", "position"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ProductHolding)
class ProductHoldingAdmin(ReadOnlyAdmin):
    list_display = ["farmer", "product", "opened_on", "source", "recorded_by"]
    list_filter = ["product", "source"]
    list_select_related = ["farmer", "product", "recorded_by"]
    search_fields = ["farmer__name", "farmer__id_hash"]


@admin.register(HoldingImport)
class HoldingImportAdmin(ReadOnlyAdmin):
    list_display = ["file", "business_date", "imported_by", "rows_total", "rows_created", "rows_refused"]
    list_select_related = ["file", "imported_by"]
    search_fields = ["file__name", "file__sha256"]
