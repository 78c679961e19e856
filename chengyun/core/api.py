from __future__ import annotations

from django.db import connection
from ninja import Router, Schema

from chengyun import __version__

router = Router(tags=["平台"])


class Health(Schema):
    status: str
    database: str
    version: str


@router.get("/health", response=Health, auth=None, summary="健康检查")
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": "postgresql" if connection.vendor == "postgresql" else connection.vendor, "version": __version__}
