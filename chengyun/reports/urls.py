from django.urls import path

from . import views

urlpatterns = [
    path("", views.archive, name="archive"),
    path("centre/", views.centre, name="centre"),
    path("<int:pk>/<str:fmt>", views.download, name="download"),
]
