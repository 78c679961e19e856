"""Helpers for the street tests: China time and a straight walk along a latitude."""
from __future__ import annotations

import datetime as dt

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
Y = 36.505  # a row of the small district's first grids


def at(y, mo, d, h=0, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def walk(x0, x1, y, start, n=40, speed_s=20):
    """A straight walk along latitude y from x0 to x1 in n steps."""
    from chengyun.geo.tracks import TrackPoint

    return [TrackPoint(start + dt.timedelta(seconds=speed_s * k), x0 + (x1 - x0) * k / (n - 1), y) for k in range(n)]


def page_client(user, lang="zh-hans"):
    """A browser session of ``user`` reading the pages in ``lang``."""
    from django.test import Client

    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def refused(r, field: str, label: str) -> str:
    """A 422 re-render whose alert names the field (its Chinese label) and marks that input."""
    assert r.status_code == 422, r.status_code
    body = r.content.decode()
    assert f'data-field="{field}"' in body
    alert = body.split('id="form-error"', 1)[1].split("</p>", 1)[0]
    assert f"“{label}”有误" in alert, alert
    assert 'aria-invalid="true"' in body
    return body
