"""Routes of the distribution app under /api/v1/ (included by config/api_urls.py)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from distribution.api import ListEntryViewSet, OutreachListViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("lists", OutreachListViewSet, basename="outreach-list")
router.register("list-entries", ListEntryViewSet, basename="list-entry")

urlpatterns = [path("", include(router.urls))]
