"""What the cached case pages (list, dispatch queue, the list API) depend on, and the one stamp
that says it moved (core/pagecache.py).

Saves and deletes of cases and of the rows their lists show (category, street, community,
grid, unit) bump it through signals; the few writes that bypass signals (`update`,
`bulk_update`, the bulk INSERT/COPY path) call `changed()` themselves. Boundary imports bump
the geo stamp, which the pages read as well."""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from chengyun.core import pagecache
from chengyun.geo.index import STAMP as GEO_STAMP

STAMP = "cases.pages"
STAMPS = (STAMP, GEO_STAMP)


def changed(using: str = "default") -> None:
    pagecache.changed(STAMP, using=using)


def _on_write(sender, using="default", **kwargs) -> None:
    changed(using)


def connect() -> None:
    from chengyun.geo.models import Community, Grid, Street, Unit

    from .models import Case, Category

    for model in (Case, Category, Street, Community, Grid, Unit):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"cases.freshness.save.{model.__name__}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"cases.freshness.delete.{model.__name__}")
