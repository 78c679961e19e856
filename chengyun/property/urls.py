from django.urls import path

from . import views

urlpatterns = [
    path("", views.coverage_page, name="coverage"),
    path("compounds/", views.compounds, name="compounds"),
    path("files/", views.files, name="files"),
    path("files/<int:file_id>/", views.file_detail, name="file"),
    path("companies/", views.companies, name="companies"),
    path("companies/<int:company_id>/", views.company_detail, name="company"),
    path("assessments/", views.assessments, name="assessments"),
    path("assess/", views.assess, name="assess"),
]
