"""The pages behind the waste API's other writes, each calling the very service function its
endpoint calls: a compound starts sorting or joins a demonstration area (``enrol_compound``, as
PUT /waste/compounds/{code}), a street names a demonstration area (``create_demo_area``, as POST
/waste/areas), a department fills a 无废城市 indicator's yearly target or actual (``set_value``, as
PUT /waste/indicators/{code}/{year}). A refusal re-renders the page (4xx) naming the field with
nothing stored (``core.pageforms``); a role the rule does not let write is refused (403) and sees
no button (``may``)."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from chengyun.core import pageforms
from chengyun.core.errors import Forbidden, Invalid
from chengyun.geo.models import Street
from chengyun.people import policy

from . import services
from .forms import _compounds
from .models import DemoArea, SortingCompound, ZeroWasteIndicator

ENROL_LABELS = {"compound": gettext_lazy("小区"), "sorting_since": gettext_lazy("实施分类日期"), "demo_area": gettext_lazy("示范片区"),
                "joined_area_on": gettext_lazy("纳入片区日期")}
AREA_LABELS = {"code": gettext_lazy("编号"), "name": gettext_lazy("片区名称"), "street": pgettext_lazy("行政区划", "街道"),
               "designated_on": gettext_lazy("命名日期"), "level": gettext_lazy("级别"), "note": gettext_lazy("说明")}
VALUE_LABELS = {"indicator": gettext_lazy("指标"), "year": gettext_lazy("年度"), "target": gettext_lazy("目标值"), "actual": gettext_lazy("实际值"),
                "note": gettext_lazy("说明")}


def _writers(model) -> frozenset[str]:
    rule = policy.rule_for(model)
    return rule.write | rule.wide_write


def writable_indicators(user) -> list[ZeroWasteIndicator]:
    """The indicators this user may fill: the responsible department's own (or the system administrator)."""
    if not policy.principal(user).has(_writers(ZeroWasteIndicator)):
        return []
    return [i for i in ZeroWasteIndicator.objects.filter(active=True).select_related("unit") if policy.can_write(user, i)]


def may(user) -> dict[str, bool]:
    """Which of these pages the user's role may use: the pages show a button only when it is True."""
    p = policy.principal(user)
    return {"enrol": p.has(_writers(SortingCompound)), "area": p.has(_writers(DemoArea)), "indicator": bool(writable_indicators(user))}


def _require(user, what: str, message: str) -> None:
    if not may(user)[what]:
        raise Forbidden(message)


def _streets(user):
    p = policy.principal(user)
    qs = Street.objects.order_by("code")
    return qs if p.has(policy.rule_for(DemoArea).wide_write) else qs.filter(id__in=p.street_ids)


def _number(post, name: str, *, integer: bool = False):
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        raise Invalid(_("%(label)s应为数字") % {"label": VALUE_LABELS[name]}, code="bad_number", detail={"field": name}) from None


@login_required
@require_http_methods(["GET", "POST"])
@pageforms.refusals(ENROL_LABELS, default_form="enrol")
def compound_enrol(request):
    """实施分类或纳入示范片区 — ``services.enrol_compound``, as PUT /waste/compounds/{code}."""
    _require(request.user, "enrol", _("只有社区网格员和街长可以登记小区实施分类或纳入示范片区"))
    post = request.POST
    if request.method == "POST":
        sc = services.enrol_compound(request.user, compound=post.get("compound", ""),
                                     sorting_since=pageforms.date(post.get("sorting_since"), "sorting_since", ENROL_LABELS["sorting_since"], required=False),
                                     demo_area=post.get("demo_area", ""),
                                     joined_area_on=pageforms.date(post.get("joined_area_on"), "joined_area_on", ENROL_LABELS["joined_area_on"], required=False))
        messages.success(request, _("已更新小区 %(name)s 的分类登记") % {"name": sc.compound.name})
        return redirect(f"/waste/compounds/?q={sc.compound.code}")
    form = post if getattr(request, "form_error", None) else {"compound": request.GET.get("compound", "")}
    return render(request, "waste/enrol_form.html", {"form": form, "compounds": _compounds(request.user),
                                                     "areas": DemoArea.objects.select_related("street").order_by("code")})


@login_required
@require_http_methods(["GET", "POST"])
@pageforms.refusals(AREA_LABELS, default_form="area")
def area_new(request):
    """命名示范片区 — ``services.create_demo_area``, as POST /waste/areas."""
    _require(request.user, "area", _("只有街长可以命名本街道的示范片区"))
    post = request.POST
    if request.method == "POST":
        area = services.create_demo_area(request.user, code=post.get("code", ""), name=post.get("name", ""), street=post.get("street", ""),
                                         designated_on=pageforms.date(post.get("designated_on"), "designated_on", AREA_LABELS["designated_on"]),
                                         level=post.get("level", DemoArea.Level.DISTRICT), note=post.get("note", ""))
        messages.success(request, _("已命名示范片区 %(name)s") % {"name": area.name})
        return redirect("waste:dashboard")
    return render(request, "waste/area_form.html", {"form": post, "streets": _streets(request.user), "levels": DemoArea.Level.choices,
                                                    "today": dt.date.today()})


@login_required
@require_http_methods(["GET", "POST"])
@pageforms.refusals(VALUE_LABELS, default_form="value")
def indicator_value(request):
    """填报无废城市指标的年度目标或实际值 — ``services.set_value``, as PUT /waste/indicators/{code}/{year}."""
    _require(request.user, "indicator", _("只有指标的责任单位可以填报"))
    post = request.POST
    indicators = writable_indicators(request.user)
    if request.method == "POST":
        code = (post.get("indicator") or "").strip()
        ind = next((i for i in indicators if i.code == code), None)
        if ind is None:
            raise Invalid(_("请选择本单位负责的指标"), code="unknown_indicator", detail={"field": "indicator"})
        year, target, actual = _number(post, "year", integer=True), _number(post, "target"), _number(post, "actual")
        if year is None:
            raise Invalid(_("请填写年度"), code="missing_field", detail={"field": "year"})
        if target is None and actual is None:
            raise Invalid(_("请填写目标值或实际值"), code="missing_field", detail={"field": "target"})
        v = services.set_value(request.user, ind, year=year, target=target, actual=actual, note=post.get("note", ""))
        messages.success(request, _("已填报 %(name)s %(year)s 年") % {"name": ind.name, "year": v.year})
        return redirect("waste:dashboard")
    form = post if getattr(request, "form_error", None) else {"indicator": request.GET.get("indicator", ""), "year": request.GET.get("year", "")}
    return render(request, "waste/indicator_form.html", {"form": form, "indicators": indicators, "this_year": dt.date.today().year})
