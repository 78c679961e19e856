from django.urls import path

from . import views

urlpatterns = [
    path("", views.case_list, name="list"),
    path("map/", views.case_map, name="map"),
    path("queue/", views.queue, name="queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("report/", views.report_page, name="report"),
    path("evaluation/", views.evaluation_page, name="evaluation"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("responsibilities/", views.responsibilities, name="responsibilities"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/attach", views.case_attach, name="attach"),
    path("<int:pk>/move", views.case_move, name="move"),
    path("<int:pk>/act/<str:action>", views.case_act, name="act"),
    path("<int:pk>/reveal", views.reporter_reveal, name="reveal"),
]
