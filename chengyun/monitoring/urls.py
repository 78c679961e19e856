from django.urls import path

from . import views

urlpatterns = [
    path("devices/", views.devices, name="devices"),
    path("devices/<str:mn>/", views.device_detail, name="device"),
    path("ingest-log/", views.ingest_log, name="ingest_log"),
    path("lab-upload/", views.lab_upload, name="lab_upload"),
]
