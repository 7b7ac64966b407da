from django.urls import path

from postloan import close_console, rule_admin, statement_views, views

urlpatterns = [
    path("warnings/mine/", views.my_warning_list, name="my-warnings"),
    path("warnings/", views.warning_list, name="warning-list"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning-detail"),
    path("loans/<int:pk>/checks/", views.loan_checks, name="loan-checks"),
    path("system/", rule_admin.system_admin, name="system-admin"),
    path("operations/close/", close_console.close_list, name="close-list"),
    path("operations/close/resume/", close_console.close_resume, name="close-resume"),
    path("operations/close/<str:day>/", close_console.close_detail, name="close-detail"),
    path("operations/close/<str:day>/progress/", close_console.close_progress_fragment, name="close-progress"),
    path("system/rules/<int:pk>/", rule_admin.warning_rule_edit, name="warning-rule-edit"),
    path("system/rules/<int:pk>/enabled/", rule_admin.warning_rule_enabled, name="warning-rule-enabled"),
    path("statements/", statement_views.statement_list, name="statement-list"),
    path("statements/request/", statement_views.statement_request, name="statement-request"),
    path(
        "statements/<int:pk>/statement.xlsx",
        statement_views.statement_download,
        {"kind": "xlsx"},
        name="statement-xlsx",
    ),
    path(
        "statements/<int:pk>/statement.pdf", statement_views.statement_download, {"kind": "pdf"}, name="statement-pdf"
    ),
]
