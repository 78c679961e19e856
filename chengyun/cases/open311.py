"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2), JSON and XML.

- Services are the catalogue's minor classes. 部件 and 事件 share 4-digit codes, so the
  service_code of an 事件 is its bare 4-digit code ("0113") and that of a 部件 carries a
  "B" prefix ("B0101"); group = "事件·<major>" / "部件·<major>". Both stay strings.
- service_request_id is the case number (a string). Public requests enter as 上报 from the
  public source and are verified on site before filing.
- api_key is an API token (people tokens), accepted in the form body or the query string; it is
  required to POST and optional to read. Errors are an array of {code, description}.
- GET requests adds the page / page_size extension (page_size ≤ 200); without dates it returns
  the last 90 days, newest first, as the specification suggests.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.urls import re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from chengyun.core import current
from chengyun.core.errors import DomainError

from . import services, standard, workflow
from .models import Case, Category

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+08:00"
MAX_PAGE_SIZE = 200


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | None = None):
        super().__init__(description)
        self.status = status
        self.code = code or status
        self.description = description


# ---------------------------------------------------------------- rendering


def _xml_value(parent: ET.Element, key: str, value: Any, item_tag: str) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, list):
        for v in value:
            _xml_node(el, item_tag, v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v, k[:-1] if k.endswith("s") else k)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def _xml_node(parent: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        el = ET.SubElement(parent, tag)
        for k, v in value.items():
            item = {"values": "value", "attributes": "attribute", "formats": "format", "endpoints": "endpoint"}.get(k, k[:-1])
            _xml_value(el, k, v, item)
    else:
        el = ET.SubElement(parent, tag)
        el.text = "" if value is None else str(value)


def render(data: Any, fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        if isinstance(data, list):
            top = ET.Element(root)
            for d in data:
                _xml_node(top, item, d)
        else:
            top = ET.Element(root)
            for k, v in data.items():
                _xml_value(top, k, v, {"endpoints": "endpoint", "attributes": "attribute", "formats": "format"}.get(k, k[:-1]))
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")


def error(fmt: str, status: int, description: str, code: int | None = None) -> HttpResponse:
    return render([{"code": code or status, "description": description}], fmt, root="errors", item="error", status=status)


def endpoint(fn):
    """Wrap an Open311 view: its errors (and domain errors) become the spec's error array."""
    def view(request, fmt: str, **kwargs):
        try:
            return fn(request, fmt, **kwargs)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description, exc.code)
        except DomainError as exc:
            status = {401: 403, 404: 404, 403: 403}.get(exc.status, 400)
            return error(fmt, status, exc.message)

    view.__name__ = fn.__name__
    return csrf_exempt(view)


# ---------------------------------------------------------------- services


def _category_for(service_code: str) -> Category:
    code = (service_code or "").strip()
    kind = standard.KIND_EVENT
    if code[:1].upper() == "B":
        kind, code = standard.KIND_COMPONENT, code[1:]
    cat = Category.objects.filter(kind=kind, code=code, active=True).first()
    if cat is None:
        raise Open311Error(404, f"service_code {service_code} 不存在")
    return cat


def _service(cat: Category) -> dict[str, Any]:
    kind_name = standard.KIND_NAMES[cat.kind]
    return {
        "service_code": cat.service_code,
        "service_name": cat.name,
        "description": f"{kind_name} {cat.major_name} · {cat.name}",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join([kind_name, cat.major_name, cat.name]),
        "group": f"{kind_name}·{cat.major_name}",
    }


@endpoint
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    return render({
        "changeset": CHANGESET,
        "contact": "城运中心 12345 / 城市管理指挥中心",
        "key_service": "向城运中心申请 API 令牌（chengyun token create 用户名），作为 api_key 使用",
        "endpoints": [{"specification": SPEC, "url": base, "changeset": CHANGESET, "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }, fmt, root="discovery", item="discovery")


@endpoint
def service_list(request, fmt):
    cats = Category.objects.filter(active=True).order_by("kind", "code")
    return render([_service(c) for c in cats], fmt, root="services", item="service")


@endpoint
def service_definition(request, fmt, service_code):
    cat = _category_for(service_code)
    conditions = list(cat.conditions.all())
    return render({
        "service_code": cat.service_code,
        "attributes": [{
            "variable": True,
            "code": "condition",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "立案条件（可不选，由受理员判定）",
            "order": 1,
            "description": "符合哪一条立案条件",
            "values": [{"key": str(c.pk), "name": f"{c.text}（处置时限 {c.limit_text}）"} for c in conditions],
        }],
    }, fmt, root="service_definition", item="service_definition")


# ---------------------------------------------------------------- requests


def _user_for_key(request, *, required: bool):
    key = request.POST.get("api_key") or request.GET.get("api_key")
    if not key:
        if required:
            raise Open311Error(403, "缺少 api_key")
        return None
    from chengyun.core.middleware import client_ip
    from chengyun.people import scopes
    from chengyun.people.services import token_for_key

    # A wrong api_key counts toward the lockout of its prefix and the client address.
    token = token_for_key(key, client_ip(request))
    if token is None:
        raise Open311Error(403, "api_key 无效、已过期、已吊销，或失败次数过多已被临时锁定")
    needed = scopes.OPEN311_WRITE if request.method == "POST" else scopes.OPEN311_READ
    if not scopes.allows(token.scopes, needed):
        raise Open311Error(403, f"api_key 的权限范围不包括 {needed}")
    return token.user


def _status_notes(case: Case) -> str:
    if case.status in workflow.OPEN:
        return workflow.label(case.status)
    last = case.events.filter(to_status=case.status).order_by("-at", "-id").first()
    note = f"：{last.note}" if last and last.note else ""
    return f"{workflow.label(case.status)}{note}"


def _request_out(case: Case) -> dict[str, Any]:
    media = case.extra.get("media_url") or ""
    return {
        "service_request_id": case.number,
        "status": "open" if case.status in workflow.OPEN else "closed",
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.service_code,
        "description": case.description,
        "agency_responsible": case.unit.name if case.unit_id else "",
        "service_notice": "",
        "requested_datetime": _iso(case.reported_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.overall_deadline or case.stage_deadline),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lng,
        "media_url": media,
    }


def _parse_date(value: str, name: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, f"{name} 应为 ISO 8601 时间，如 2026-01-05T09:00:00+08:00") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _int(value: str | None, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        n = int(value)
    except ValueError:
        raise Open311Error(400, f"{name} 应为正整数") from None
    if n < 1:
        raise Open311Error(400, f"{name} 应为正整数")
    return n


def _photo_position(media) -> tuple[float, float] | None:
    """(lng, lat) from the first photo whose EXIF records where it was taken (with consent only)."""
    from django.conf import settings

    from . import images

    for f in media:
        data = f.read()
        f.seek(0)
        try:
            gps = images.check_image(data, max_bytes=settings.UPLOAD_MAX_BYTES).gps
        except images.ImageRejected:
            continue
        if gps is not None:
            return gps
    return None


def _post_request(request, fmt):
    user = _user_for_key(request, required=True)
    data = request.POST
    cat = _category_for(data.get("service_code", "")) if data.get("service_code") else None
    if cat is None:
        raise Open311Error(400, "缺少 service_code")
    consent = (data.get("location_consent") or "").strip().lower() in ("1", "true", "yes")
    try:
        lat, lng = float(data.get("lat", "")), float(data.get("long", ""))
    except ValueError:
        gps = _photo_position(request.FILES.getlist("media")) if consent else None
        if gps is None:
            raise Open311Error(400, "须提供 lat 与 long（WGS84），或提交带拍摄位置的照片并同意使用（location_consent=true）") from None
        lng, lat = gps
    description = data.get("description", "").strip()
    if not description:
        raise Open311Error(400, "缺少 description")
    name = " ".join(x for x in (data.get("last_name", ""), data.get("first_name", "")) if x).strip()
    extra = {k: data[k] for k in ("email", "device_id", "account_id", "media_url", "address_id") if data.get(k)}
    attrs = {k[len("attribute["):-1]: v for k, v in data.items() if k.startswith("attribute[") and k.endswith("]")}
    if attrs:
        extra["attributes"] = attrs
    with current.acting(user, source="api", request_id=getattr(request, "request_id", None)):
        case = services.report(user, source="public", category_code=cat.code, category_kind=cat.kind, lng=lng, lat=lat, crs="wgs84",
                               description=description, address=data.get("address_string", ""), reporter_name=name or "公众",
                               reporter_phone=data.get("phone", ""), attachments=request.FILES.getlist("media"), extra=extra,
                               location_consent=consent)
    return render([{"service_request_id": case.number, "service_notice": "已受理上报，城运中心将派网格员现场核实", "account_id": data.get("account_id", "")}],
                  fmt, root="service_requests", item="request", status=201)


@endpoint
def requests_view(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        raise Open311Error(400, "只支持 GET 与 POST")
    _user_for_key(request, required=False)
    qs = Case.objects.select_related("category", "unit").order_by("-reported_at", "-id")
    q = request.GET
    if q.get("service_request_id"):
        ids = [x.strip() for x in q["service_request_id"].split(",") if x.strip()]
        qs = qs.filter(number__in=ids)
    else:
        if q.get("service_code"):
            codes = [c.strip() for c in q["service_code"].split(",") if c.strip()]
            cats = []
            for c in codes:
                try:
                    cats.append(_category_for(c).pk)
                except Open311Error:
                    continue
            qs = qs.filter(category_id__in=cats)
        start = _parse_date(q["start_date"], "start_date") if q.get("start_date") else None
        end = _parse_date(q["end_date"], "end_date") if q.get("end_date") else None
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=90)
        if start:
            qs = qs.filter(reported_at__gte=start)
        if end:
            qs = qs.filter(reported_at__lte=end)
        if q.get("status"):
            wanted = {s.strip() for s in q["status"].split(",")}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status 应为 open 或 closed")
            states: set[str] = set()
            if "open" in wanted:
                states |= workflow.OPEN
            if "closed" in wanted:
                states |= workflow.TERMINAL
            qs = qs.filter(status__in=sorted(states))
    page = _int(q.get("page"), "page", 1)
    size = min(_int(q.get("page_size"), "page_size", 50), MAX_PAGE_SIZE)
    rows = qs[(page - 1) * size: page * size]
    return render([_request_out(c) for c in rows], fmt, root="service_requests", item="request")


@endpoint
def request_detail(request, fmt, request_id):
    _user_for_key(request, required=False)
    case = Case.objects.select_related("category", "unit").filter(number=request_id).first()
    if case is None:
        raise Open311Error(404, f"service_request_id {request_id} 不存在")
    return render([_request_out(case)], fmt, root="service_requests", item="request")


FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^open311/v2/discovery" + FMT, discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services" + FMT, service_list, name="open311-services"),
    re_path(r"^open311/v2/services/(?P<service_code>[A-Za-z0-9]+)" + FMT, service_definition, name="open311-service"),
    re_path(r"^open311/v2/requests" + FMT, requests_view, name="open311-requests"),
    re_path(r"^open311/v2/requests/(?P<request_id>[0-9A-Za-z-]+)" + FMT, request_detail, name="open311-request"),
]
