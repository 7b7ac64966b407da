from django.contrib import admin

from core.admin import ReadOnlyAdmin
from origination.models import (
    Batch,
    BatchRow,
    BatchRowError,
    BatchStatusChange,
    CompensationDemand,
    CreditLimit,
    CreditLimitChange,
    Loan,
    LoanDue,
    LoanEntry,
    Notification,
    Repayment,
    UploadJob,
    WhitelistEntry,
)


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "program", "status", "submitted_on", "rows_total", "rows_valid"]
    list_filter = ["status"]
    list_select_related = ["program"]
    search_fields = ["program__name", "farmer_list_sha256"]


@admin.register(BatchRow)
class BatchRowAdmin(ReadOnlyAdmin):
    list_display = ["batch", "row", "name", "id_masked", "validation", "computed_limit", "decision"]
    list_filter = ["validation", "decision"]
    list_select_related = ["batch"]
    search_fields = ["name", "id_hash"]
    exclude = ["phone", "region_code"]  # the region code would tell the masked digits of the identity number


@admin.register(BatchRowError)
class BatchRowErrorAdmin(ReadOnlyAdmin):
    list_display = ["batch", "row", "column", "code", "detail"]
    list_select_related = ["batch"]
    search_fields = ["code"]
    exclude = ["original"]


@admin.register(BatchStatusChange)
class BatchStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["batch", "to_status", "actor", "business_date"]
    list_select_related = ["batch", "actor"]
    search_fields = ["batch__id"]


@admin.register(UploadJob)
class UploadJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "program", "state", "progress", "error_code", "batch"]
    list_select_related = ["program", "batch"]
    search_fields = ["error_code"]
    exclude = ["errors"]


@admin.register(CreditLimit)
class CreditLimitAdmin(ReadOnlyAdmin):
    list_display = ["id", "farmer", "program", "amount", "approved_on", "expires_on", "status"]
    list_filter = ["status"]
    list_select_related = ["farmer", "program"]
    search_fields = ["farmer__name"]


@admin.register(CreditLimitChange)
class CreditLimitChangeAdmin(ReadOnlyAdmin):
    list_display = ["id", "credit_limit", "kind", "from_status", "to_status", "business_date", "actor"]
    list_filter = ["kind"]
    list_select_related = ["credit_limit", "actor"]


@admin.register(WhitelistEntry)
class WhitelistEntryAdmin(ReadOnlyAdmin):
    list_display = ["program", "farmer", "added_on"]
    list_select_related = ["program", "farmer"]
    search_fields = ["farmer__name"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "template", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["idempotency_key"]
    exclude = ["recipient"]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["id", "farmer", "program", "principal", "principal_outstanding", "classification", "status"]
    list_filter = ["status", "classification"]
    list_select_related = ["farmer", "program"]
    search_fields = ["id", "farmer__name"]


@admin.register(LoanDue)
class LoanDueAdmin(ReadOnlyAdmin):
    list_display = ["loan", "kind", "due_on", "amount", "paid", "compensated", "settled_on"]
    list_select_related = ["loan"]
    search_fields = ["loan__id"]


@admin.register(LoanEntry)
class LoanEntryAdmin(ReadOnlyAdmin):
    list_display = ["loan", "business_date", "kind", "amount"]
    list_filter = ["kind"]
    list_select_related = ["loan"]
    search_fields = ["loan__id"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ["loan", "business_date", "amount", "penalty", "interest", "principal", "recorded_by"]
    list_select_related = ["loan", "recorded_by"]
    search_fields = ["loan__id"]


@admin.register(CompensationDemand)
class CompensationDemandAdmin(ReadOnlyAdmin):
    list_display = ["loan", "program", "raised_on", "amount", "compensated", "unrecovered", "status"]
    list_filter = ["status"]
    list_select_related = ["loan", "program"]
    search_fields = ["loan__id"]
