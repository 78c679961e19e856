from django.urls import path

from . import views

urlpatterns = [
    path("", views.archive, name="archive"),
    path("centre/", views.centre, name="centre"),
    path("centre/<str:key>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/<str:fmt>", views.download, name="download"),
]
