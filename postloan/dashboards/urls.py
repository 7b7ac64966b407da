from django.urls import path

from postloan.dashboards import views, views_network

urlpatterns = [
    path("", views.dashboards_home, name="dashboards"),
    path("warnings/", views.warnings_dashboard, name="dashboard-warnings"),
    path("programmes/", views.programs_dashboard, name="dashboard-programs"),
    path("cross-selling/", views.cross_selling_dashboard, name="dashboard-cross-selling"),
    path("cross-selling/import/", views.holdings_import_view, name="holdings-import-upload"),
    path("cross-selling/imports/<int:pk>/", views.holdings_import_detail, name="holdings-import"),
    path("cross-selling/farmers/<int:pk>/", views.farmer_holdings, name="farmer-holdings"),
    path("ranking/", views.ranking_dashboard, name="dashboard-ranking"),
    path("targets/", views_network.targets_dashboard, name="dashboard-targets"),
    path("funnel/", views_network.funnel_page, name="dashboard-funnel"),
]
