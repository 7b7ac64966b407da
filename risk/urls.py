from django.urls import path

from risk import views

urlpatterns = [
    path("provider-data/", views.provider_data, name="provider-data"),
    path("provider-data/deliveries/<int:pk>/", views.provider_delivery, name="provider-delivery"),
    path(
        "provider-data/deliveries/<int:pk>/conflicts.xlsx",
        views.provider_delivery_conflicts,
        name="provider-delivery-conflicts",
    ),
]
