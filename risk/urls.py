from django.urls import path

from risk import views, views_accounts

urlpatterns = [
    path("provider-data/", views.provider_data, name="provider-data"),
    path("provider-data/deliveries/<int:pk>/", views.provider_delivery, name="provider-delivery"),
    path(
        "provider-data/deliveries/<int:pk>/conflicts.xlsx",
        views.provider_delivery_conflicts,
        name="provider-delivery-conflicts",
    ),
    path("settlement-accounts/", views_accounts.settlement_accounts, name="settlement-accounts"),
    path(
        "settlement-accounts/deliveries/<int:pk>/",
        views_accounts.settlement_account_delivery,
        name="settlement-account-delivery",
    ),
]
