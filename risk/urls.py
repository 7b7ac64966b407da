from django.urls import path

from risk import views

urlpatterns = [path("provider-data/", views.provider_data, name="provider-data")]
