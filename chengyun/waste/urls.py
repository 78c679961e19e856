from django.urls import path

from . import forms, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compounds/", views.compounds, name="compounds"),
    path("surveys/new/", forms.check_new, name="check_new"),
]
