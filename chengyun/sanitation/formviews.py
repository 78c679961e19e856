"""Pages for the writes that were API-only: vehicles, the sweeping plan of a segment, the 示范街
score sheet, creating a 示范街, naming or revoking it and entering its monthly score.

Each form calls the same services function as the API; a refused submission re-renders the form
(422/409) with the message and the field it is about; a role that may not write sees no form and
gets 403 when it posts anyway.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.roads.models import RoadSegment

from . import services
from .models import GRADE_CHOICES, DemoStreet, MonthlyScore, ScoreItem, SweepPlan, Vehicle
from .services.quality import STATUS_MOVES

# Field name (as the services name it in detail["field"]) → the label the form shows.
LABELS = {
    "code": gettext_lazy("编号"), "plate": gettext_lazy("车牌号"), "unit": gettext_lazy("作业单位"), "kind": gettext_lazy("车型"),
    "street": pgettext_lazy("行政区划", "街道"), "feed_password": gettext_lazy("接入密码"), "active": gettext_lazy("在用"),
    "segment": gettext_lazy("路段"), "grade": gettext_lazy("保洁等级"), "passes_per_day": gettext_lazy("计划机扫遍数（每日）"),
    "name": gettext_lazy("名称"), "max_score": gettext_lazy("分值"), "order": gettext_lazy("排序"), "segments": gettext_lazy("路段"),
    "since": gettext_lazy("创建日期"), "shops": gettext_lazy("沿街商铺"), "status": gettext_lazy("状态"), "month": gettext_lazy("月份"),
    "items": gettext_lazy("评分项"), "scored_by": gettext_lazy("评分人"), "note": gettext_lazy("说明"),
}


def form_error(exc: DomainError, labels: dict[str, Any] | None = None) -> dict[str, str]:
    """What the template shows of a refusal: the field (for aria-invalid), its label and the message."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    labels = LABELS if labels is None else labels
    # A conflict names the value it refused instead ({"status": "named"}): that key is the field.
    field = str(detail.get("field") or next((k for k in detail if k in labels), ""))
    label = labels.get(field) or labels.get(field.split(".")[0]) or ""
    if field.startswith("items."):
        item = ScoreItem.objects.filter(code=field.split(".", 1)[1]).first()
        label = item.name if item else label
    return {"field": field, "label": str(label), "message": exc.message, "code": exc.code}


def may_create(user: Any, model) -> bool:
    """Whether the user holds a role that may create `model` records somewhere (the service checks where)."""
    rule = policy.rule_for(model)
    return policy.principal(user).has(rule.write | rule.wide_write)


def _int(post, name: str, *, default: int | None = None) -> int | None:
    raw = (post.get(name) or "").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise Invalid(_("%(label)s应为整数") % {"label": LABELS.get(name, name)}, code="bad_number", detail={"field": name}) from None


def _date(post, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat((post.get(name) or "").strip())
    except ValueError:
        raise Invalid(_("%(label)s不是有效日期") % {"label": LABELS.get(name, name)}, code="bad_date", detail={"field": name}) from None


def _writer_units(user):
    p = policy.principal(user)
    qs = Unit.objects.filter(active=True).order_by("code")
    return qs if p.has(policy.rule_for(Vehicle).wide_write) else qs.filter(pk=p.unit_id)


# ---------------------------------------------------------------- vehicles


@login_required
@require_http_methods(["GET", "POST"])
def vehicle_new(request):
    if not may_create(request.user, Vehicle):
        raise Forbidden(_("只有作业单位可以登记本单位的车辆"))
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            v = services.create_vehicle(request.user, code=post.get("code", ""), plate=post.get("plate", ""), unit=post.get("unit", ""),
                                        kind=post.get("kind", Vehicle.Kind.WASH_SWEEPER), street=post.get("street", ""),
                                        feed_password=post.get("feed_password", ""))
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc)
        else:
            messages.success(request, _("已登记车辆 %(plate)s") % {"plate": v.plate})
            return redirect("sanitation:vehicle", code=v.code)
    return render(request, "sanitation/vehicle_form.html", {
        "vehicle": None, "can_edit": True, "error": error, "form": request.POST if request.method == "POST" else None,
        "units": _writer_units(request.user), "kinds": Vehicle.Kind.choices, "streets": Street.objects.order_by("code"),
    }, status=error_status(error))


@login_required
@require_http_methods(["GET", "POST"])
def vehicle_edit(request, code: str):
    v = policy.get_visible(request.user, Vehicle.objects.select_related("unit", "street"), code=code)
    can_edit = policy.can_write(request.user, v)
    error = None
    if request.method == "POST":
        post = request.POST
        changes = {"plate": post.get("plate", "").strip(), "kind": post.get("kind", ""), "street": post.get("street", ""),
                   "active": post.get("active") == "on"}
        if post.get("feed_password"):
            changes["feed_password"] = post["feed_password"]
        try:
            if not changes["plate"]:
                raise Invalid(_("请填写车牌号"), code="plate_required", detail={"field": "plate"})
            services.update_vehicle(request.user, v, **changes)
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc)
            v.refresh_from_db()
        else:
            messages.success(request, _("车辆已保存"))
            return redirect("sanitation:vehicle", code=v.code)
    return render(request, "sanitation/vehicle_form.html", {
        "vehicle": v, "can_edit": can_edit, "error": error, "form": request.POST if request.method == "POST" else None,
        "kinds": Vehicle.Kind.choices, "streets": Street.objects.order_by("code"),
    }, status=error_status(error))


def error_status(error: dict | None) -> int:
    if not error:
        return 200
    return 409 if error["code"] in ("vehicle_exists", "demo_street_exists", "bad_transition", "empty_sheet") else 422


# ---------------------------------------------------------------- the sweeping plan


@login_required
def plans(request):
    qs = policy.visible(request.user, SweepPlan.objects.select_related("segment", "street")).order_by("segment__code")
    values = {k: request.GET.get(k, "") for k in ("street", "grade", "q")}
    if values["street"]:
        qs = qs.filter(street__code=values["street"])
    if values["grade"].isdigit():
        qs = qs.filter(grade=int(values["grade"]))
    if values["q"]:
        qs = qs.filter(segment__code__icontains=values["q"]) | qs.filter(segment__name__icontains=values["q"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for p in page:
        p.writable = policy.can_write(request.user, p)
    return render(request, "sanitation/plans.html", {"page": page, "values": values, "streets": Street.objects.order_by("code"),
                                                     "grades": GRADE_CHOICES})


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, segment: str):
    plan = policy.get_visible(request.user, SweepPlan.objects.select_related("segment", "street"), segment__code=segment)
    can_edit = policy.can_write(request.user, plan)
    error = None
    if request.method == "POST":
        try:
            grade = _int(request.POST, "grade")
            if grade is None:
                raise Invalid(_("请选择保洁等级"), code="bad_grade", detail={"field": "grade"})
            plan = services.set_plan(request.user, segment, grade=grade, passes_per_day=_int(request.POST, "passes_per_day"))
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc)
        else:
            messages.success(request, _("已调整 %(name)s 的机扫计划") % {"name": plan.segment.name})
            return redirect("sanitation:plans")
    from chengyun.standards import cjjt126

    defaults = [(cjjt126.GRADE_NAMES[g], cjjt126.FREQUENCIES[g].mechanized_passes_per_day) for g in cjjt126.GRADES]
    return render(request, "sanitation/plan_form.html", {"plan": plan, "can_edit": can_edit, "error": error, "grades": GRADE_CHOICES,
                                                         "defaults": defaults, "form": request.POST if request.method == "POST" else None},
                  status=error_status(error))


# ---------------------------------------------------------------- the 示范街 score sheet


@login_required
@require_http_methods(["GET", "POST"])
def score_items(request):
    can_edit = may_create(request.user, ScoreItem)
    error = None
    form = None
    if request.method == "POST":
        if not can_edit:
            raise Forbidden(_("评分表由系统管理员维护"))
        form = request.POST
        try:
            item = services.set_score_item(request.user, code=form.get("code", ""), name=form.get("name", ""),
                                           max_score=_int(form, "max_score", default=0), order=_int(form, "order", default=100),
                                           active=form.get("active") == "on")
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc)
        else:
            messages.success(request, _("已保存评分项 %(name)s") % {"name": item.name})
            return redirect("sanitation:score_items")
    elif request.GET.get("code"):
        item = ScoreItem.objects.filter(code=request.GET["code"]).first()
        if item is not None:
            form = {"code": item.code, "name": item.name, "max_score": item.max_score, "order": item.order, "active": "on" if item.active else ""}
    items = list(ScoreItem.objects.all())
    return render(request, "sanitation/score_items.html", {
        "items": items, "can_edit": can_edit, "error": error, "form": form, "full": sum(i.max_score for i in items if i.active),
    }, status=error_status(error))


# ---------------------------------------------------------------- 示范街


_SPLIT = re.compile(r"[\s,，、;；]+")


@login_required
@require_http_methods(["GET", "POST"])
def demo_street_new(request):
    if not may_create(request.user, DemoStreet):
        raise Forbidden(_("只有责任单位或街长可以创建示范街"))
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            codes = list(dict.fromkeys(post.getlist("segments") + [c for c in _SPLIT.split(post.get("more_segments", "")) if c]))
            ds = services.create_demo_street(request.user, code=post.get("code", ""), name=post.get("name", ""), street=post.get("street", ""),
                                             segments=codes, since=_date(post, "since"), unit=post.get("unit", ""),
                                             shops=_int(post, "shops", default=0))
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc)
            if error["field"] == "segments" and not error["label"]:
                error["label"] = str(LABELS["segments"])
        else:
            messages.success(request, _("已创建示范街 %(name)s") % {"name": ds.name})
            return redirect("sanitation:demo_street", code=ds.code)
    p = policy.principal(request.user)
    wide = p.has(policy.rule_for(DemoStreet).wide_write)
    streets = Street.objects.order_by("code") if wide or not p.street_ids else Street.objects.filter(pk__in=p.street_ids).order_by("code")
    units = Unit.objects.filter(active=True).order_by("code") if wide else Unit.objects.filter(pk=p.unit_id)
    return render(request, "sanitation/demo_street_form.html", {
        "error": error, "form": request.POST if request.method == "POST" else None, "streets": streets, "units": units,
        "segment_codes": RoadSegment.objects.order_by("code").values_list("code", "name")[:2000], "today": dt.date.today(),
    }, status=error_status(error))


def demo_street_post(request, d: DemoStreet):
    """The detail page's two forms: naming / revoking (status) and the month's score. None when done."""
    post = request.POST
    if post.get("form") == "status":
        services.set_demo_street_status(request.user, d, post.get("status", ""))
        messages.success(request, _("示范街状态已改为“%(s)s”") % {"s": d.get_status_display()})
        return None
    if not may_create(request.user, MonthlyScore):
        raise Forbidden(_("示范街评分由城运中心考核人员录入"))
    try:
        month = dt.date.fromisoformat((post.get("month") or "").strip() + "-01")
    except ValueError:
        raise Invalid(_("月份有误"), code="bad_month", detail={"field": "month"}) from None
    items = {i.code: post.get(f"item_{i.code}", "") for i in services.score_sheet()}
    missing = [i for i in services.score_sheet() if items[i.code].strip() == ""]
    if missing:
        raise Invalid(_("缺少评分项“%(name)s”") % {"name": missing[0].name}, code="item_missing", detail={"field": f"items.{missing[0].code}"})
    s = services.score_month(request.user, d, month=month, items=items, scored_by=post.get("scored_by", ""), note=post.get("note", ""))
    messages.success(request, _("已录入 %(m)s 评分：%(t)s 分") % {"m": s.month.strftime("%Y-%m"), "t": s.total})
    return None


def demo_street_actions(request, d: DemoStreet) -> dict[str, Any]:
    """What the detail page offers this user: the status moves and the score form."""
    can_write = policy.can_write(request.user, d)
    moves = sorted(STATUS_MOVES.get(d.status, set())) if can_write else []
    labels = {DemoStreet.Status.NAMED: _("命名"), DemoStreet.Status.REVOKED: _("摘牌")}
    return {"moves": [(m, labels.get(m, m)) for m in moves], "may_score": may_create(request.user, MonthlyScore),
            "this_month": dt.date.today().strftime("%Y-%m")}
