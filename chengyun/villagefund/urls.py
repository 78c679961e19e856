from django.urls import path

from . import views

urlpatterns = [
    path("", views.projects, name="projects"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/step/<str:action>/", views.project_step, name="step"),
    path("projects/<int:project_id>/record/<str:what>/", views.project_record, name="record"),
    path("apply/", views.apply, name="apply"),
    path("projects/<int:project_id>/wizard/<int:step>/", views.wizard, name="wizard"),
    path("queue/", views.queue, name="queue"),
    path("villages/", views.villages, name="villages"),
    path("villages/<int:village_id>/", views.village, name="village"),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:batch_id>/", views.batch_ledger, name="ledger"),
    path("performance/", views.performance, name="performance"),
    path("report.<str:fmt>", views.report_file, name="report"),
    path("public/", views.public, name="public"),
]
