from django.urls import path

from origination.views import programs

urlpatterns = [
    path("programs/", programs.program_list, name="program-list"),
    path("programs/new/", programs.program_create_view, name="program-create"),
    path("programs/<int:pk>/", programs.program_detail, name="program-detail"),
    path("programs/<int:pk>/margin/", programs.program_margin_view, name="program-margin"),
    path("programs/<int:pk>/resume/", programs.program_resume_view, name="program-resume"),
    path("programs/<int:pk>/suspend/", programs.program_suspend_view, name="program-suspend"),
]
