from django.urls import path

from . import forms, views

urlpatterns = [
    path("", views.board, name="board"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/assign/", forms.assign, name="assign"),
    path("rules/", forms.rules, name="rules"),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/walk/", views.patrol_phone, name="walk"),
    path("patrols/gpx/", forms.patrol_gpx, name="patrol_gpx"),
    path("patrols/<int:patrol_id>/", views.patrol_detail, name="patrol"),
    path("night/", views.night_map, name="night"),
    path("night/zones/new/", forms.zone_new, name="zone_new"),
    path("night/policies/new/", forms.policy_new, name="policy_new"),
    path("night/shops/new/", forms.shop_new, name="shop_new"),
    path("night/permits/", views.permit_list, name="permits"),
    path("night/permits/new/", forms.permit_new, name="permit_new"),
    path("night/permits/<str:number>/", views.permit_detail, name="permit"),
    path("night/violations/", views.violation_list, name="violations"),
    path("meeting/", views.meeting, name="meeting"),
]
