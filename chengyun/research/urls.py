from django.urls import path

from . import views

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/report.docx", views.report_docx, name="report_docx"),
]
