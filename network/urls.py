from django.urls import URLPattern, URLResolver, path

from network import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("network/targets/", views.targets_page, name="network-targets"),
    path("network/support/", views.support_summary, name="network-support"),
    path("network/outlets/", views.outlet_list, name="network-outlets"),
    path("network/outlets/<int:pk>/", views.outlet_detail, name="network-outlet"),
    path("network/actions/<int:pk>/done/", views.action_done, name="network-action-done"),
    path("network/trainings/<int:pk>/", views.training_detail, name="network-training"),
]
