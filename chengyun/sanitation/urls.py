from django.urls import path

from . import formviews, views

urlpatterns = [
    path("", views.coverage, name="coverage"),
    path("tracks/", views.tracks, name="tracks"),
    path("tracks/import/", views.track_import, name="track_import"),
    path("tracks/<str:vehicle>/<str:day>/", views.track_detail, name="track"),
    path("inspections/", views.inspections, name="inspections"),
    path("vehicles/new/", formviews.vehicle_new, name="vehicle_new"),
    path("vehicles/<str:code>/", formviews.vehicle_edit, name="vehicle"),
    path("plans/", formviews.plans, name="plans"),
    path("plans/<str:segment>/", formviews.plan_edit, name="plan"),
    path("score-items/", formviews.score_items, name="score_items"),
    path("demo-streets/", views.demo_streets, name="demo_streets"),
    path("demo-streets/new/", formviews.demo_street_new, name="demo_street_new"),
    path("demo-streets/<str:code>/", views.demo_street_detail, name="demo_street"),
]
