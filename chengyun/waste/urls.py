from django.urls import path

from . import forms, pages, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compounds/", views.compounds, name="compounds"),
    path("surveys/new/", forms.check_new, name="check_new"),
    path("compounds/enrol/", pages.compound_enrol, name="compound_enrol"),
    path("areas/new/", pages.area_new, name="area_new"),
    path("indicators/values/", pages.indicator_value, name="indicator_value"),
]
