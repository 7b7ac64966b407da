from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin
from postloan.models import DayClose, DayCloseStep, PostDrawdownCheck, RiskWarning, WarningAction, WarningRule


@admin.register(WarningRule)
class WarningRuleAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """Administrators edit parameters, deadlines and the enabled flag; every edit is kept in the history."""

    list_display = ["code", "name", "severity", "subject_type", "deadline_days", "enabled"]
    list_filter = ["severity", "subject_type", "enabled"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "subject_type"]

    # The rules are the application's (postloan.rules): a row is made for each by the close and is switched
    # off with ``enabled``, never added by hand (it would have no query) nor deleted (its warnings keep it).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WarningRule | None = None) -> bool:
        return False


@admin.register(RiskWarning)
class WarningAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule", "subject_type", "subject_id", "severity", "status", "raised_on", "deadline"]
    list_filter = ["status", "severity", "rule"]
    list_select_related = ["rule"]
    search_fields = ["subject_id"]


@admin.register(WarningAction)
class WarningActionAdmin(ReadOnlyAdmin):
    list_display = ["warning", "kind", "actor", "business_date"]
    list_select_related = ["warning", "actor"]
    search_fields = ["note"]


@admin.register(PostDrawdownCheck)
class PostDrawdownCheckAdmin(ReadOnlyAdmin):
    list_display = ["loan", "kind", "result", "done_on", "actor"]
    list_select_related = ["loan", "actor"]
    search_fields = ["loan__id"]


@admin.register(DayClose)
class DayCloseAdmin(ReadOnlyAdmin):
    list_display = ["day", "status", "attempts", "started_at", "finished_at"]
    search_fields = ["day"]


@admin.register(DayCloseStep)
class DayCloseStepAdmin(ReadOnlyAdmin):
    list_display = ["day", "step", "chunk", "rows", "finished_at"]
    list_filter = ["step"]
    search_fields = ["step"]
