from django.urls import path

from . import views

urlpatterns = [
    path("", views.screen, name="screen"),
    path("panels/<str:key>/", views.panel, name="panel"),
]
