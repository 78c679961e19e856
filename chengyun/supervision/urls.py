from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="board"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/action", views.task_action, name="task_action"),
    path("tasks/import/", views.import_page, name="import"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("daily/", views.daily_board, name="daily"),
    path("daily/entry/", views.daily_entry, name="daily_entry"),
    path("daily/brief/", views.daily_brief, name="brief"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("monthly/", views.monthly, name="monthly"),
]
