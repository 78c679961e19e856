from django.urls import path

from . import views

urlpatterns = [
    path("", views.coverage, name="coverage"),
    path("tracks/", views.tracks, name="tracks"),
    path("tracks/import/", views.track_import, name="track_import"),
    path("tracks/<str:vehicle>/<str:day>/", views.track_detail, name="track"),
    path("inspections/", views.inspections, name="inspections"),
    path("demo-streets/", views.demo_streets, name="demo_streets"),
    path("demo-streets/<str:code>/", views.demo_street_detail, name="demo_street"),
]
