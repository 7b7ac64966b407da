from django.urls import path

from accounting import views

urlpatterns = [
    path("operations/core-files/", views.core_files, name="core-files"),
    path("operations/core-files/instructions/", views.instruction_generate, name="core-instructions-generate"),
    path("operations/core-files/instructions/<int:pk>/", views.instruction_download, name="core-instructions-download"),
    path("operations/core-files/confirmations/", views.confirmation_upload, name="core-confirmations-upload"),
    path("operations/core-files/journal/", views.journal_generate, name="core-journal-generate"),
    path("operations/core-files/journal/<int:pk>/", views.journal_download, name="core-journal-download"),
]
