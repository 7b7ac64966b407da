from django.urls import URLPattern, URLResolver, path

from campaigns import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/templates/", views.template_list, name="campaign-templates"),
    path("campaigns/opt-outs/", views.opt_outs, name="campaign-opt-outs"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/decide/", views.campaign_decide, name="campaign-decide"),
    path("campaigns/<int:pk>/messages/", views.campaign_messages, name="campaign-messages"),
]
