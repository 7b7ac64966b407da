from django.urls import path

from partners import views

urlpatterns = [
    path("anchors/", views.anchor_list, name="anchor-list"),
    path("anchors/new/", views.anchor_create_view, name="anchor-create"),
    path("anchors/<int:pk>/", views.anchor_detail, name="anchor-detail"),
    path("anchors/<int:pk>/approve/", views.anchor_approve_view, name="anchor-approve"),
    path("anchors/<int:pk>/status/<str:status>/", views.anchor_status_view, name="anchor-status"),
    path("anchors/<int:pk>/assessments/", views.assessment_add_view, name="assessment-add"),
    path("anchors/<int:pk>/agreements/", views.agreement_add_view, name="agreement-add"),
    path("margin-entries/<int:pk>/confirm/", views.margin_entry_confirm_view, name="margin-entry-confirm"),
]
