from django.urls import path

from postloan import views

urlpatterns = [
    path("warnings/mine/", views.my_warning_list, name="my-warnings"),
    path("warnings/", views.warning_list, name="warning-list"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning-detail"),
    path("loans/<int:pk>/checks/", views.loan_checks, name="loan-checks"),
]
