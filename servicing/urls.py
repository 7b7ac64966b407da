from django.urls import path

from servicing import views, views_compensation, views_write_off

urlpatterns = [
    path("loans/", views.loan_list, name="loan-list"),
    path("loans/<int:pk>/", views.loan_detail, name="loan-detail"),
    path("loans/<int:pk>/repay/", views.loan_repay, name="loan-repay"),
    path("loans/<int:pk>/classify/", views.loan_classify_view, name="loan-classify"),
    path("compensation/", views_compensation.compensation_home, name="compensation"),
    path("compensation/demands/<int:pk>/", views_compensation.demand_detail, name="demand-detail"),
    path("compensation/payments/new/", views_compensation.payment_new, name="anchor-payment-new"),
    path("compensation/payments/<int:pk>/", views_compensation.payment_detail, name="anchor-payment-detail"),
    path(
        "compensation/payments/<int:pk>/<str:decision>/",
        views_compensation.payment_decide,
        name="anchor-payment-decide",
    ),
    path("write-offs/", views_write_off.write_off_list, name="write-off-list"),
    path("write-offs/propose/", views_write_off.write_off_propose_view, name="write-off-propose"),
    path("write-offs/<int:pk>/<str:decision>/", views_write_off.write_off_decide, name="write-off-decide"),
]
