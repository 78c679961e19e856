from django.urls import path

from . import views

urlpatterns = [
    path("", views.risk_page, name="risk"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<str:code>/", views.survey_detail, name="survey"),
    path("surveys/<str:code>/findings/new/", views.finding_new, name="finding_new"),
    path("findings/<str:code>/", views.finding_detail, name="finding"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/import/", views.segment_import, name="segment_import"),
    path("segments/<str:code>/", views.segment_detail, name="segment"),
]
