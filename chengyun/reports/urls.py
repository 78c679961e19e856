from django.urls import path

from . import views

urlpatterns = [
    path("", views.archive, name="archive"),
    path("<int:pk>/<str:fmt>", views.download, name="download"),
]
