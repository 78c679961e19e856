"""The record a request body or a form names: one answer for every app.

A reference in submitted data (the water body code of a new section, the chief chosen in a
form's select) that names no record is bad input — a 422 naming the field — not a missing
page. Read in a user's scope (``user`` given), a record outside it looks exactly like a
missing one: 404, as ``policy.get_visible`` answers, so that another area's records are not
revealed. It lives beside the policy because that scoped read is the policy's.
"""
from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from chengyun.core.errors import Invalid, NotFound

from . import policy


def referenced(qs: QuerySet, key: Any, *, field: str | None = None, what: str | None = None, lookup: str = "pk",
               optional: bool = True, code: str = "", user: Any = None) -> models.Model | None:
    """The record of `qs` whose `lookup` equals `key`.

    An empty key (None, "" or blanks) is None when `optional`. No such record is a 422
    ``Invalid`` with code `code` (default ``unknown_<field>`` without an ``_id`` suffix, or
    ``unknown_choice`` for a form's select) and detail {"field": field}; its message names
    `what` (default: the model's verbose name) and the key. A key of the wrong type (a word
    where a number is looked up) names no record. With `user`, only records the user may
    read are found and any other answer is a 404 ``NotFound``.
    """
    if isinstance(key, str):
        key = key.strip()
    if key in (None, "") and optional:
        return None
    if user is not None:
        qs = policy.visible(user, qs)
    found = None
    if key not in (None, ""):
        try:
            found = qs.filter(**{lookup: key}).first()
        except (ValueError, TypeError, OverflowError):  # OverflowError: a number past SQLite's 64 bits
            found = None
    if found is not None:
        return found
    if user is not None:
        raise NotFound()
    if not code:
        code = f"unknown_{field.removesuffix('_id')}" if field else "unknown_choice"
    what = what if what is not None else qs.model._meta.verbose_name
    raise Invalid(_("%(what)s %(key)s 不存在") % {"what": what, "key": str(key)[:40]}, code=code,
                  detail={"field": field} if field else None)
