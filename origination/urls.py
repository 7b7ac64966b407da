from django.urls import path

from origination.views import batches, drawdown, farmers, limits, program_changes, programs, renewals, review, whitelist

urlpatterns = [
    path("programs/", programs.program_list, name="program-list"),
    path("programs/new/", programs.program_create_view, name="program-create"),
    path("programs/<int:pk>/", programs.program_detail, name="program-detail"),
    path("programs/<int:pk>/margin/", programs.program_margin_view, name="program-margin"),
    path("programs/<int:pk>/resume/", programs.program_resume_view, name="program-resume"),
    path("programs/<int:pk>/suspend/", programs.program_suspend_view, name="program-suspend"),
    path("programs/<int:pk>/upload/", batches.batch_upload_page, name="batch-upload"),
    *program_changes.urlpatterns,
    path("uploads/<int:pk>/", batches.upload_job_page, name="upload-job"),
    path("uploads/<int:pk>/status/", batches.upload_job_status, name="upload-job-status"),
    path("uploads/<int:pk>/errors.xlsx", batches.upload_job_errors, name="upload-job-errors"),
    path("batches/", batches.batch_list, name="batch-list"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/errors.xlsx", batches.batch_errors_download, name="batch-errors"),
    path("batches/<int:pk>/review/", review.batch_review, name="batch-review"),
    path("batches/<int:pk>/rows/<int:row>/", review.batch_row_panel, name="batch-row"),
    path("batches/<int:pk>/rows/<int:row>/decide/", review.batch_row_decide_view, name="batch-row-decide"),
    path("batches/<int:pk>/<str:name>/", review.batch_action, name="batch-action"),
    path("farmers/", farmers.farmer_list, name="farmer-list"),
    path("farmers/<int:pk>/", farmers.farmer_detail, name="farmer-detail"),
    path("whitelist/", whitelist.whitelist_list, name="whitelist"),
    path("renewals/", renewals.renewal_list, name="renewal-list"),
    path("renewals/start/", renewals.renewal_start, name="renewal-start"),
    path("limits/", limits.limit_list, name="limit-list"),
    path("limits/<int:pk>/", limits.limit_detail, name="limit-detail"),
    path("limits/<int:pk>/drawdown/", drawdown.drawdown, name="drawdown"),
    path("limits/<int:pk>/<str:name>/", limits.limit_action, name="limit-action"),
]
