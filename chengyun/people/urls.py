from django.urls import path

from . import views

urlpatterns = [
    path("", views.people, name="list"),
    path("audit/", views.audit, name="audit"),
]
