from django.urls import path

from . import views, views_overflows

urlpatterns = [
    path("", views.map_page, name="map"),
    path("pipes/", views.pipes, name="pipes"),
    path("pipes/<str:code>/", views.pipe_detail, name="pipe"),
    path("trace/", views.trace_page, name="trace"),
    path("import/", views.import_page, name="import"),
    path("misconnections/", views.misconnections, name="misconnections"),
    path("misconnections/detect", views.misconnections_detect, name="misconnections_detect"),
    path("misconnections/<int:pk>/<str:action>", views.misconnection_action, name="misconnection_action"),
    path("overflows/", views_overflows.overflows, name="overflows"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/xlsx", views.plan_xlsx, name="plan_xlsx"),
]
