from django.urls import path

from . import views

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("boundaries/import/", views.boundary_import, name="boundary_import"),
    path("units/", views.units, name="units"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
]
