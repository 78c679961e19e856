from django.urls import path

from . import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("sections/", views.sections, name="sections"),
    path("sections/<str:code>/", views.section_detail, name="section"),
    path("outfalls/", views.outfalls, name="outfalls"),
    path("outfalls/<str:code>/", views.outfall_detail, name="outfall"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("patrols/", views.patrols, name="patrols"),
    path("patrols/new/", views.patrol_mobile, name="patrol_mobile"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol"),
    path("compliance/", views.compliance, name="compliance"),
    path("rain/", views.rain_days, name="rain"),
    path("chiefs/", views.chiefs, name="chiefs"),
    path("reaches/<str:code>/", views.reach_detail, name="reach"),
    path("bodies/", views.water_bodies, name="bodies"),
    path("snapshots/<int:pk>/image", views.snapshot_image, name="snapshot_image"),
    path("problems/<int:pk>/photo", views.problem_photo, name="problem_photo"),
]
