"""The pages of the lists (included by config/urls.py at the root)."""

from django.urls import path

from distribution import views

urlpatterns = [
    path("lists/", views.list_index, name="distribution-lists"),
    path("lists/<int:pk>/", views.list_detail, name="distribution-list"),
    path("lists/<int:pk>/call-list/", views.call_list, name="distribution-call-list"),
    path("lists/entries/<int:pk>/", views.entry_detail, name="distribution-entry"),
    path("lists/entries/<int:pk>/phone/", views.entry_phone, name="distribution-entry-phone"),
    path("lists/entries/<int:pk>/contact/", views.entry_contact, name="distribution-entry-contact"),
    path("my-list/", views.my_list, name="distribution-my-list"),
]
