"""The disk running out while the platform runs (issue 15 §5): a clear 503, nothing half-written.

The full-disk run against a real tmpfs is `scripts/faults.py disk`; here each backend's way of
saying it is recognised, and pages and the API answer it the same way."""
import errno
import sqlite3

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from chengyun.core.errors import storage_full
from chengyun.core.middleware import DomainErrorMiddleware
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


class PgDiskFull(Exception):
    sqlstate = "53100"


@pytest.mark.parametrize("exc, full", [
    (OperationalError("database or disk is full"), True),
    (sqlite3.OperationalError("database or disk is full"), True),
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (PgDiskFull('could not extend file "base/16384/2619": No space left on device'), True),
    (OperationalError("database is locked"), False),
    (OSError(errno.EACCES, "Permission denied"), False),
    (ValueError("full"), False),
])
def test_each_backends_words_for_a_full_disk(exc, full):
    assert storage_full(exc) is full


def test_a_wrapped_cause_counts():
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as inner:
            raise OperationalError("write failed") from inner
    except OperationalError as outer:
        assert storage_full(outer)


def test_a_page_says_nothing_was_saved(make_user, caplog):
    request = RequestFactory().post("/cases/report/")
    request.user = make_user(R.COMMUNITY_GRID_WORKER)
    response = DomainErrorMiddleware(lambda r: None).process_exception(request, OperationalError("database or disk is full"))
    assert response.status_code == 503
    assert "存储空间已满" in response.content.decode()
    assert "未保存" in caplog.text


def test_another_database_error_is_not_dressed_up():
    request = RequestFactory().get("/")
    assert DomainErrorMiddleware(lambda r: None).process_exception(request, OperationalError("database is locked")) is None


def test_the_api_answers_503_storage_full(api_client, make_user, monkeypatch):
    def full(*a, **k):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr("chengyun.cases.services.report", full)
    r = api_client.as_user(make_user(R.COMMUNITY_GRID_WORKER)).post(
        "cases/", {"source": "community_grid_worker", "category_code": "0113", "lng": 117.0, "lat": 36.0, "description": "井盖缺失"})
    assert r.status_code == 503
    assert r.json()["code"] == "storage_full" and "存储空间已满" in r.json()["message"]


def test_the_api_still_fails_loudly_on_other_database_errors(api_client, make_user, monkeypatch):
    def locked(*a, **k):
        raise OperationalError("database is locked")

    monkeypatch.setattr("chengyun.cases.services.report", locked)
    client = api_client.as_user(make_user(R.COMMUNITY_GRID_WORKER))
    with pytest.raises(OperationalError):
        client.post("cases/", {"source": "community_grid_worker", "category_code": "0113", "lng": 117.0, "lat": 36.0, "description": "井盖缺失"})
