from django.urls import path

from . import formviews, views

urlpatterns = [
    path("", views.coverage_page, name="coverage"),
    path("compounds/", views.compounds, name="compounds"),
    path("files/", views.files, name="files"),
    path("files/<int:file_id>/", views.file_detail, name="file"),
    path("companies/", views.companies, name="companies"),
    path("compounds/<str:code>/", formviews.compound_detail, name="compound"),
    path("companies/new/", formviews.company_form, name="company_new"),
    path("companies/<int:company_id>/", views.company_detail, name="company"),
    path("companies/<int:company_id>/edit/", formviews.company_form, name="company_edit"),
    path("scheme/", formviews.scheme, name="scheme"),
    path("assessments/", views.assessments, name="assessments"),
    path("assess/", views.assess, name="assess"),
]
