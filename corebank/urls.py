from django.urls import path

from corebank import views

urlpatterns = [
    path("operations/core-debits/", views.debit_files, name="core-debit-files"),
    path("operations/core-debits/<int:pk>/", views.debit_file, name="core-debit-file"),
]
