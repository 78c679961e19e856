from django.urls import path

from . import views

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("units/", views.units, name="units"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
]
