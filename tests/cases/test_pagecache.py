"""The cached case pages (list, dispatch queue, list API; core/pagecache.py): one scope's
fragment never reaches another scope, a write is visible on the next request, and the queue's
forms carry the viewer's own CSRF token."""
import datetime as dt
import json
import re

import pytest
from cases_helpers import G_OTHER, run_to
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chengyun.cases import workflow as W
from chengyun.cases.models import Case
from chengyun.core import pagecache
from chengyun.geo.models import Unit

pytestmark = pytest.mark.django_db


def commit_stamps():
    for entry in [e for e in connection.run_on_commit if getattr(e[1], "stamp_name", None)]:
        connection.run_on_commit.remove(entry)
        entry[1]()


@pytest.fixture
def committed():
    """Run a write's stamp bumps as its commit would (the test's transaction never commits), so
    the pages go through the cache rather than around it; the fixtures' writes count as committed."""
    def run(fn, *args, **kwargs):
        commit_stamps()
        result = fn(*args, **kwargs)
        commit_stamps()
        return result
    return run


def case_rows_read(client, path, **params) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as q:
        r = client.get(path, params)
    assert r.status_code == 200
    return r.content.decode(), sum("cases_case" in x["sql"] for x in q.captured_queries)


def test_a_cached_list_never_shows_what_the_viewers_scope_hides(client, crew, file_case, committed):
    mine = committed(file_case)  # grid G1: the grid worker's
    other = committed(file_case, by=crew["grid_other"], grid=G_OTHER)
    client.force_login(crew["dispatcher"])
    html, _ = case_rows_read(client, "/cases/")
    assert mine.number in html and other.number in html
    html, reads = case_rows_read(client, "/cases/")
    assert mine.number in html and other.number in html and reads == 0  # served from the cache

    for viewer, sees, hidden in ((crew["grid"], mine, other), (crew["grid_other"], other, mine), (crew["handler2"], None, mine)):
        client.force_login(viewer)
        for _ in range(2):  # the second time from the cache: still only this scope's rows
            html, _ = case_rows_read(client, "/cases/")
            assert hidden.number not in html and (sees is None or sees.number in html)
            body, _ = case_rows_read(client, "/api/v1/cases/")
            numbers = {c["number"] for c in json.loads(body)["results"]}
            assert hidden.number not in numbers and (sees is None or sees.number in numbers)

    client.force_login(crew["dispatcher"])  # and the narrow scopes' fragments don't reach the wide one
    body, _ = case_rows_read(client, "/api/v1/cases/")
    assert {mine.number, other.number} <= {c["number"] for c in json.loads(body)["results"]}


def test_pages_show_a_write_on_the_next_request(client, crew, file_case, photo, committed):
    from chengyun.cases import services

    case = committed(run_to, committed(file_case), W.ACCEPTED, crew, photo)
    client.force_login(crew["dispatcher"])
    for _ in range(2):
        queue, _ = case_rows_read(client, "/cases/queue/")
        listed, _ = case_rows_read(client, "/cases/", status="filed")
        api, _ = case_rows_read(client, "/api/v1/cases/", status="filed")
    assert case.number in queue.split("待受理与立案")[1] and case.number not in listed and case.number not in api

    # Through the page, as a dispatcher would: the redirect's next request shows the move.
    client.force_login(crew["acceptor"])
    committed(client.post, f"/cases/{case.pk}/act/file", {"condition_id": case.category.conditions.first().pk})
    assert Case.objects.get(pk=case.pk).status == W.FILED
    client.force_login(crew["dispatcher"])
    queue, _ = case_rows_read(client, "/cases/queue/")
    assert case.number in queue.split("待受理与立案")[0]  # now under 待派遣
    listed, _ = case_rows_read(client, "/cases/", status="filed")
    api, _ = case_rows_read(client, "/api/v1/cases/", status="filed")
    assert case.number in listed and case.number in api

    # A write that bypasses signals (the clock job's UPDATE) moves the stamp as well.
    from chengyun.cases.services import clocks

    assert case.number not in case_rows_read(client, "/cases/", clock="overdue")[0]
    committed(clocks.refresh_clocks, now=clocks.current_time() + dt.timedelta(days=400))
    assert case.number in case_rows_read(client, "/cases/", clock="overdue")[0]

    # Inside a transaction that has written but not committed, the cache is bypassed.
    services.transition(crew["dispatcher"], case.pk, "dispatch", unit_id=Unit.objects.get(code="D01").pk)
    listed, reads = case_rows_read(client, "/cases/", status="filed")
    assert case.number not in listed and reads > 0


def test_a_reference_rename_reaches_the_cached_list(client, crew, file_case, committed):
    case = committed(file_case)
    client.force_login(crew["dispatcher"])
    case_rows_read(client, "/cases/")
    street = case.street
    street.name = "改名后的街道"
    committed(street.save)
    html, _ = case_rows_read(client, "/cases/")
    assert "改名后的街道" in html


def test_the_shared_queue_carries_each_viewers_own_csrf_token(crew, file_case, photo, committed):
    filed = committed(run_to, committed(file_case), W.FILED, crew, photo)
    tokens = []
    for user in (crew["dispatcher"], crew["shift"]):
        c = Client(enforce_csrf_checks=True)
        c.force_login(user)
        html = c.get("/cases/queue/").content.decode()
        assert pagecache.CSRF_PLACEHOLDER not in html and filed.number in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append((c, token))
    assert tokens[0][1] != tokens[1][1]
    # The second viewer's page came from the cache; its token is accepted for that viewer's post.
    c, token = tokens[1]
    r = c.post(f"/cases/{filed.pk}/act/dispatch", {"csrfmiddlewaretoken": token, "unit_id": Unit.objects.get(code="D01").pk, "next": "/cases/queue/"})
    assert r.status_code == 302


def test_the_language_is_part_of_the_key(client, crew, file_case, committed):
    committed(file_case)
    client.force_login(crew["dispatcher"])
    assert "筛选" in client.get("/cases/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "筛选" not in client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_filter_no_row_can_meet_is_an_empty_page_not_an_error(client, crew, file_case, committed):
    """A kind no category has makes the condition an `in` over nothing: Django will not even
    write that SQL, so the cache key cannot be the SQL (schemathesis found the 500)."""
    committed(file_case)
    client.force_login(crew["dispatcher"])
    for _ in range(2):  # the second answer comes from the cache
        resp = client.get("/api/v1/cases/", {"kind": "溶解氧（mg/L）"})
        assert resp.status_code == 200 and resp.json()["results"] == [] and resp.json()["count"] == 0
        assert client.get("/cases/", {"kind": "溶解氧（mg/L）"}).status_code == 200
    assert client.get("/api/v1/cases/").json()["results"]  # the unfiltered list is not the empty one
