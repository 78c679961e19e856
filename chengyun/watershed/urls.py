from django.urls import path

from . import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project_page, name="project"),
    path("joint/", views.board, name="board"),
    path("joint/<str:uid>/", views.incident_page, name="incident"),
    path("<str:code>/", views.watershed_page, name="watershed"),
]
