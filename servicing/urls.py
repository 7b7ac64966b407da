from django.urls import path

from servicing import views

urlpatterns = [
    path("loans/", views.loan_list, name="loan-list"),
    path("loans/<int:pk>/", views.loan_detail, name="loan-detail"),
    path("loans/<int:pk>/repay/", views.loan_repay, name="loan-repay"),
    path("loans/<int:pk>/classify/", views.loan_classify_view, name="loan-classify"),
]
