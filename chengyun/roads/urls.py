from django.urls import path

from . import views

urlpatterns = [
    path("", views.risk_page, name="risk"),
    path("surveys/", views.surveys, name="surveys"),
    path("segments/<str:code>/", views.segment_detail, name="segment"),
]
