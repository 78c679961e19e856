from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="board"),
    path("segments/", views.segment_list, name="segments"),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/walk/", views.patrol_phone, name="walk"),
    path("patrols/<int:patrol_id>/", views.patrol_detail, name="patrol"),
    path("night/", views.night_map, name="night"),
    path("night/permits/", views.permit_list, name="permits"),
    path("night/permits/<str:number>/", views.permit_detail, name="permit"),
    path("night/violations/", views.violation_list, name="violations"),
    path("meeting/", views.meeting, name="meeting"),
]
