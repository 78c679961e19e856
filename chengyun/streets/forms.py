"""The pages that write: a segment's street chief and team, the patrol frequency rules, drawing a
night-economy zone (an area, or a radius around a gate), making a street policy (一街一策),
registering a shop and applying for an outdoor-dining permit. Each calls the very service function its API endpoint
calls; a refusal re-renders the form (422) naming the field, a role that may not is refused (403)
and never sees the button that leads here (``may`` below)."""
from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced
from chengyun.people.models import Person
from chengyun.roads.models import RoadSegment
from chengyun.standards import gb3096

from .models import ACTIVITIES, NightPolicy, NightZone, PatrolRule, PolicyWindow, SegmentAssignment, Shop
from .services import compliance, night, permits, segments
from .services.common import OPS, STREET_STAFF

LABELS = {
    "segment": gettext_lazy("路段"), "code": gettext_lazy("编号"), "chief": gettext_lazy("街长"), "team": gettext_lazy("责任队伍"),
    "valid_from": gettext_lazy("起始日期"), "note": gettext_lazy("说明"), "kind": gettext_lazy("类型"), "period": gettext_lazy("周期"),
    "min_patrols": gettext_lazy("每个路段最少次数"), "min_share": gettext_lazy("一次算走过的最小覆盖比例"),
    "effective_from": gettext_lazy("生效日期"), "name": gettext_lazy("名称"), "reason": gettext_lazy("划定理由"),
    "geometry": gettext_lazy("地图上的范围"), "lng": gettext_lazy("经度"), "lat": gettext_lazy("纬度"), "radius_m": gettext_lazy("半径（米）"),
    "windows": gettext_lazy("经营时段"), "season_start": gettext_lazy("经营季开始"), "season_end": gettext_lazy("经营季结束"),
    "tourist_start": gettext_lazy("旅游旺季开始"), "tourist_end": gettext_lazy("旅游旺季结束"), "noise_class": gettext_lazy("声环境功能区类别"),
    "min_passage_m": gettext_lazy("人行通道至少（米）"), "tactile_buffer_m": gettext_lazy("距盲道至少（米）"),
    "max_depth_m": gettext_lazy("进深至多（米）"), "publicity_days": gettext_lazy("公示工作日"), "strikes_to_revoke": gettext_lazy("撤销前违规次数"),
    "shop": gettext_lazy("商户"), "policy": gettext_lazy("一街一策"), "area_m2": gettext_lazy("外摆面积（平方米）"), "tables": gettext_lazy("桌数"),
    "depth_m": gettext_lazy("距建筑线进深（米）"), "passage_m": gettext_lazy("保留人行通道（米）"), "tactile_m": gettext_lazy("距盲道（米）"),
    "season": gettext_lazy("经营季（年度）"), "credit_code": gettext_lazy("统一社会信用代码"), "address": gettext_lazy("地址"), "file": gettext_lazy("GPX 文件"), "points": gettext_lazy("GPX 文件"),
}
STREET_DESK = frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER, R.OPS_DISPATCHER})  # as apps.py registers for assignments and permits


def may(user) -> dict[str, bool]:
    """Which of these forms the user's role may use: the pages show a button only when it is True."""
    p = policy.principal(user)
    return {"assign": p.has(STREET_DESK | {R.STREET_CHIEF}), "rules": p.has(OPS), "zone": p.has(OPS), "policy": p.has(OPS),
            "permit": p.has(STREET_DESK | {R.STREET_CHIEF, R.DEPT_HANDLER}), "gpx": p.has(STREET_STAFF | OPS), "shop": _may_register_shop(p)}


def _may_register_shop(p) -> bool:
    """The roles the rule registered for Shop lets write (in their street, or district-wide)."""
    rule = policy.rule_for(Shop)
    return p.has(rule.wide_write) or (p.has(rule.write) and bool(p.street_ids))


def _require(user, what: str, message: str) -> None:
    if not may(user)[what]:
        raise Forbidden(message)


def field_error(exc: DomainError) -> dict:
    """The refusal as the form shows it: which field (its label) and why."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    field = str(detail.get("field") or "")
    return {"field": field, "label": LABELS.get(field, ""), "message": exc.message, "code": exc.code}


def _number(post, name: str, *, integer: bool = False, required: bool = True):
    raw = (post.get(name) or "").strip()
    if raw == "":
        if required:
            raise Invalid(_("%(label)s不能为空") % {"label": LABELS[name]}, code="missing_field", detail={"field": name})
        return None
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        raise Invalid(_("%(label)s应为数字") % {"label": LABELS[name]}, code="bad_number", detail={"field": name}) from None


def _date(post, name: str, *, required: bool = True) -> dt.date | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        if required:
            raise Invalid(_("%(label)s不能为空") % {"label": LABELS[name]}, code="missing_field", detail={"field": name})
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(_("%(label)s应为日期（年-月-日）") % {"label": LABELS[name]}, code="bad_date", detail={"field": name}) from None


def _geometry(post, name: str = "geometry"):
    raw = (post.get(name) or "").strip()
    if not raw:
        raise Invalid(_("请在地图上画出范围（至少 3 个顶点）"), code="missing_geometry", detail={"field": name})
    try:
        return json.loads(raw)
    except ValueError:
        raise Invalid(_("范围不是有效的 GeoJSON"), code="bad_geometry", detail={"field": name}) from None


def _render(request, template: str, context: dict, error: dict | None, initial: dict | None = None):
    return render(request, template, {**context, "error": error, "form": request.POST if request.method == "POST" else (initial or {})},
                  status=422 if error else 200)


def _context_layers(*, segments_of=None, zones=False, policies=False) -> dict:
    """What is already on the ground, drawn under the form's map."""
    features = []
    if segments_of is not None:
        features += [{"type": "Feature", "geometry": json.loads(s.geometry), "properties": {"name": f"{s.name}（{s.code}）", "code": s.code, "colour": "#1565c0"}}
                     for s in segments_of]
    if zones:
        colours = {"forbidden": "#d32f2f", "controlled": "#ffa000", "open": "#43a047"}
        features += [{"type": "Feature", "geometry": json.loads(z.geometry), "properties": {"name": f"{z.get_kind_display()}：{z.name}", "colour": colours[z.kind]}}
                     for z in NightZone.objects.all()]
    if policies:
        features += [{"type": "Feature", "geometry": json.loads(p.geometry), "properties": {"name": p.name, "colour": "#6a1b9a"}}
                     for p in NightPolicy.objects.filter(active=True)]
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------- segment chief and team


def _assignable_segments(user):
    p = policy.principal(user)
    qs = RoadSegment.objects.select_related("street").order_by("street__code", "code")
    return qs if p.has(STREET_DESK) else qs.filter(street_id__in=p.street_ids)


def _chiefs(user):
    p = policy.principal(user)
    qs = Person.objects.filter(active=True, roles__code=R.STREET_CHIEF).select_related("unit").distinct().order_by("name")
    return qs if p.has(STREET_DESK) else qs.filter(streets__in=p.street_ids).distinct()


@login_required
@require_http_methods(["GET", "POST"])
def assign(request):
    """指定路段的街长和责任队伍 — ``segments.assign``, as POST /streets/segments/{code}/assign."""
    _require(request.user, "assign", _("只有街长或城运中心可以指定路段街长"))
    error = None
    code = (request.POST.get("segment") or request.GET.get("segment") or "").strip()
    if request.method == "POST":
        try:
            segment = referenced(RoadSegment.objects.all(), code, lookup="code", field="segment", what=_("路段"), optional=False)
            chief = referenced(Person.objects.all(), request.POST.get("chief"), field="chief", what=_("街长"), optional=False)
            team = referenced(Unit.objects.all(), request.POST.get("team"), lookup="code", field="team", what=_("责任队伍"))
            made = segments.assign(request.user, segment, chief=chief, team=team, valid_from=_date(request.POST, "valid_from", required=False),
                                   note=request.POST.get("note", ""))
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            messages.success(request, _("已指定 %(segment)s 的街长为 %(chief)s") % {"segment": made.segment.name, "chief": made.chief.name})
            return redirect(reverse("streets:segments") + f"?q={made.segment.code}")
    current = None
    seg = RoadSegment.objects.filter(code=code).first() if code else None
    if seg is not None:
        current = segments.current(seg)
    segs = list(_assignable_segments(request.user))
    assigned = set(SegmentAssignment.objects.filter(valid_to__isnull=True).values_list("segment_id", flat=True))
    return _render(request, "streets/assign.html", {
        "segment_code": code, "segment": seg, "current": current, "segments": [(s, s.pk in assigned) for s in segs],
        "chiefs": _chiefs(request.user), "teams": Unit.objects.filter(active=True).order_by("code"),
        "today": timezone.localdate(), "layers": _context_layers(segments_of=[seg] if seg else segs[:300])}, error)


# ---------------------------------------------------------------- patrol frequency rules


@login_required
@require_http_methods(["GET", "POST"])
def rules(request):
    """巡查频次规则 — ``compliance.set_rule``, as POST /streets/rules."""
    _require(request.user, "rules", _("只有城运中心可以设置巡查频次规则"))
    error = None
    if request.method == "POST":
        try:
            post = request.POST
            share = _number(post, "min_share")
            rule = compliance.set_rule(request.user, kind=post.get("kind", ""), period=post.get("period", ""),
                                       min_patrols=_number(post, "min_patrols", integer=True),
                                       min_share=share / 100 if share is not None and share > 1 else share,
                                       effective_from=_date(post, "effective_from"))
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            messages.success(request, _("已设置%(kind)s规则，自 %(day)s 起判定") % {"kind": rule.get_kind_display(), "day": rule.effective_from})
            return redirect("streets:rules")
    today = timezone.localdate()
    return _render(request, "streets/rules.html", {
        "kinds": PatrolRule.Kind.choices, "periods": PatrolRule.Period.choices, "today": today,
        "in_force": [(label, r, PatrolRule.Period(r.period).label) for k, label in PatrolRule.Kind.choices for r in [compliance.rule_in_force(k, today)]],
        "history": PatrolRule.objects.order_by("-effective_from", "-id")[:30]}, error)


# ---------------------------------------------------------------- night-economy zones and policies


@login_required
@require_http_methods(["GET", "POST"])
def zone_new(request):
    """划定管控区 — ``night.create_zone`` (and ``night.circle``), as POST /streets/night/zones."""
    _require(request.user, "zone", _("只有城运中心可以划定夜间经济管控区"))
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("shape") == "circle":
                lng, lat = _number(post, "lng"), _number(post, "lat")
                radius = _number(post, "radius_m")
                if not 0 < radius <= 5000:
                    raise Invalid(_("半径应在 0–5000 米之间"), code="bad_geometry", detail={"field": "radius_m"})
                geometry = night.circle(lng, lat, radius)
            else:
                geometry = _geometry(post)
            zone = night.create_zone(request.user, code=post.get("code", ""), name=post.get("name", ""), kind=post.get("kind", ""),
                                     reason=post.get("reason", "").strip(), geometry=geometry)
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            messages.success(request, _("已划定管控区 %(name)s") % {"name": zone.name})
            return redirect("streets:night")
    return _render(request, "streets/zone_form.html", {"kinds": NightZone.Kind.choices, "layers": _context_layers(zones=True, policies=True)}, error)


def _policy_windows(post) -> list[dict]:
    """The windows' rows of the form (activity, day type, start, end); empty rows are skipped."""
    rows = zip(post.getlist("w_activity"), post.getlist("w_day_type"), post.getlist("w_start"), post.getlist("w_end"))
    out = [{"activity": a, "day_type": d, "start": s.strip(), "end": e.strip()} for a, d, s, e in rows if a and (s.strip() or e.strip())]
    if not out:
        raise Invalid(_("请至少填写一个经营时段"), code="missing_field", detail={"field": "windows"})
    return out


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request):
    """制定一街一策 — ``night.create_policy``, as POST /streets/night/policies."""
    _require(request.user, "policy", _("只有城运中心可以制定一街一策"))
    error = None
    post = request.POST
    if request.method == "POST":
        try:
            values = {"code": post.get("code", ""), "name": post.get("name", ""), "kind": post.get("kind", ""), "geometry": _geometry(post),
                      "season_start": post.get("season_start", "").strip() or "01-01", "season_end": post.get("season_end", "").strip() or "12-31",
                      "tourist_start": _date(post, "tourist_start", required=False), "tourist_end": _date(post, "tourist_end", required=False),
                      "noise_class": post.get("noise_class", "2"), "min_passage_m": _number(post, "min_passage_m"),
                      "tactile_buffer_m": _number(post, "tactile_buffer_m"), "max_depth_m": _number(post, "max_depth_m"),
                      "publicity_days": _number(post, "publicity_days", integer=True), "strikes_to_revoke": _number(post, "strikes_to_revoke", integer=True),
                      "windows": _policy_windows(post)}
            made = night.create_policy(request.user, **values)
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            messages.success(request, _("已制定一街一策 %(name)s") % {"name": made.name})
            return redirect("streets:night")
    given = [{"activity": a, "day_type": d, "start": s, "end": e} for a, d, s, e in
             zip(post.getlist("w_activity"), post.getlist("w_day_type"), post.getlist("w_start"), post.getlist("w_end"))]
    rows = given + [{"activity": "", "day_type": "regular", "start": "", "end": ""}] * max(1, 4 - len(given))
    return _render(request, "streets/policy_form.html", {
        "kinds": NightPolicy.Kind.choices, "activities": list(ACTIVITIES.items()), "day_types": PolicyWindow.DayType.choices,
        "noise_classes": [(c, gb3096.limit(c).label) for c in gb3096.CLASSES], "rows": rows,
        "layers": _context_layers(zones=True, policies=True)}, error)


# ---------------------------------------------------------------- outdoor-dining permits


@login_required
@require_http_methods(["GET", "POST"])
def permit_new(request):
    """外摆许可申请 — ``permits.apply``, as POST /streets/night/permits."""
    _require(request.user, "permit", _("只有街道工作人员或城运中心可以登记外摆申请"))
    error = None
    post = request.POST
    if request.method == "POST":
        try:
            shop = referenced(Shop.objects.all(), post.get("shop"), lookup="code", field="shop", what=_("商户"), optional=False)
            pol = referenced(NightPolicy.objects.all(), post.get("policy"), lookup="code", field="policy", what=_("一街一策"), optional=False)
            permit = permits.apply(request.user, shop=shop, policy_obj=pol, area_m2=_number(post, "area_m2"),
                                   tables=_number(post, "tables", integer=True), depth_m=_number(post, "depth_m"),
                                   passage_m=_number(post, "passage_m"), tactile_m=_number(post, "tactile_m", required=False),
                                   geometry=_geometry(post), season=_number(post, "season", integer=True, required=False),
                                   note=post.get("note", ""))
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            messages.success(request, _("已登记外摆申请 %(number)s") % {"number": permit.number})
            return redirect("streets:permit", number=permit.number)
    shops = policy.visible(request.user, Shop.objects.select_related("policy").order_by("code"))
    layers = _context_layers(zones=True, policies=True)
    layers["features"] += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]}, "properties": {"name": s.name, "colour": "#37474f"}}
                           for s in shops[:500]]
    return _render(request, "streets/permit_form.html", {"shops": shops, "policies": NightPolicy.objects.filter(active=True).order_by("code"),
                                                         "layers": layers, "season": timezone.localdate().year, "may": may(request.user)}, error,
                   initial={"shop": request.GET.get("shop", ""), "policy": request.GET.get("policy", "")})


@login_required
@require_http_methods(["GET", "POST"])
def shop_new(request):
    """登记商户 — ``permits.create_shop``, as POST /streets/night/shops; then on to its permit application."""
    _require(request.user, "shop", _("只有本街道工作人员或城运中心可以登记商户"))
    error = None
    post = request.POST
    if request.method == "POST":
        try:
            pol = referenced(NightPolicy.objects.all(), post.get("policy"), lookup="code", field="policy", what=_("一街一策"))
            lng, lat = _number(post, "lng"), _number(post, "lat")
            shop = permits.create_shop(request.user, code=post.get("code", ""), name=post.get("name", ""), lng=lng, lat=lat,
                                       address=post.get("address", ""), credit_code=post.get("credit_code", ""), policy_obj=pol)
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            if not may(request.user)["permit"]:
                messages.success(request, _("已登记商户 %(name)s") % {"name": shop.name})
                return redirect("streets:night")
            messages.success(request, _("已登记商户 %(name)s，可继续为其登记外摆申请") % {"name": shop.name})
            return redirect(reverse("streets:permit_new") + f"?shop={shop.code}" + (f"&policy={pol.code}" if pol else ""))
    shops = policy.visible(request.user, Shop.objects.order_by("code"))
    layers = _context_layers(zones=True, policies=True)
    layers["features"] += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]}, "properties": {"name": s.name, "colour": "#37474f"}}
                           for s in shops[:500]]
    return _render(request, "streets/shop_form.html", {"policies": NightPolicy.objects.filter(active=True).order_by("code"), "layers": layers}, error)


# ---------------------------------------------------------------- a patrol from a GPX file


@login_required
@require_http_methods(["GET", "POST"])
def patrol_gpx(request):
    """导入 GPX 轨迹为一次巡街 — ``patrols.record``, as POST /streets/patrols/gpx."""
    from chengyun.geo import tracks

    from .services import patrols

    _require(request.user, "gpx", _("只有街长、网格员、监督员和处置队伍可以巡街"))
    error = None
    if request.method == "POST":
        try:
            upload = request.FILES.get("file")
            if upload is None:
                raise Invalid(_("请选择 GPX 文件"), code="missing_file", detail={"field": "file"})
            if upload.size > 20 * 1024 * 1024:
                raise Invalid(_("GPX 文件超过 20 MB"), code="file_too_large", detail={"field": "file"})
            try:
                points = tracks.parse_gpx(upload.read())
            except tracks.TrackError as exc:
                raise Invalid(str(exc), code="bad_gpx", detail={"field": "file"}) from None
            patrol = patrols.record(request.user, points=points, kind=request.POST.get("kind") or None, source="gpx",
                                    note=request.POST.get("note", ""))
        except Forbidden:
            raise
        except DomainError as exc:
            error = field_error(exc)
        else:
            messages.success(request, _("已导入巡街轨迹"))
            return redirect("streets:patrol", patrol_id=patrol.pk)
    return _render(request, "streets/patrol_gpx.html", {"kinds": PatrolRule.Kind.choices}, error)
