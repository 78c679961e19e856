"""Pages of the health check: the indicator dashboard (by dimension, choropleth, year-on-year),
indicator sets (import/export, 特色指标, values, compute) and the layer upload page.
Thin: every write goes through services; errors come back as messages."""
from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chengyun.core.errors import DomainError
from chengyun.people import policy

from . import providers
from .models import Dimension, Indicator, IndicatorSet, Layer, SpatialUnit
from .services import access, dashboard as dashboard_service, indicators as indicator_services
from .services import layers as layer_services, ledger, measurements as measurement_services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _years() -> list[int]:
    return sorted(set(IndicatorSet.objects.values_list("year", flat=True)), reverse=True)


def _year(request) -> int | None:
    years = _years()
    try:
        y = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        y = 0
    return y if y in years else (years[0] if years else None)


def posts_service(view):
    """Run a POST's service call; a domain error becomes a message and the page is shown again."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if request.method != "POST":
                raise
            messages.error(request, exc.message)
            errors = (exc.detail or {}).get("errors") if isinstance(exc.detail, dict) else None
            for e in (errors or [])[:20]:
                messages.error(request, _("第 %(row)s 行 %(field)s：%(message)s") % e)
            return redirect(request.get_full_path())
    return wrapper


@login_required
def dashboard(request):
    year = _year(request)
    unit_kind = request.GET.get("unit_kind") or "district"
    if unit_kind not in SpatialUnit.values:
        unit_kind = "district"
    data = dashboard_service.summary(year, unit_kind) if year else None
    mappable = []
    if year:
        mappable = list(Indicator.objects.filter(indicator_set__year=year, measurements__unit_kind="community")
                        .values_list("code", "name").distinct().order_by("code"))
    return render(request, "renewal/dashboard.html", {
        "year": year, "years": _years(), "unit_kind": unit_kind, "unit_kinds": SpatialUnit.choices, "data": data,
        "mappable": mappable, "selected": request.GET.get("indicator") or (mappable[0][0] if mappable else ""),
        "is_office": access.is_office(request.user)})


@login_required
@posts_service
def indicator_sets(request):
    year = _year(request)
    current = IndicatorSet.objects.filter(year=year).first() if year else None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "national":
            s = indicator_services.load_national_set(request.user, int(request.POST.get("new_year") or 0))
            messages.success(request, _("已建立 %(set)s，共 %(n)s 项指标") % {"set": s, "n": s.indicators.count()})
            return redirect(f"{request.path}?year={s.year}")
        target = access.get_visible(request.user, IndicatorSet.objects.all(), pk=request.POST.get("set"))
        if action == "import":
            upload = request.FILES.get("file")
            if upload is None:
                raise_missing_file()
            report = indicator_services.import_xlsx(request.user, target, upload.read())
            report.raise_if_errors()
            messages.success(request, _("导入完成：新增 %(c)s 项，更新 %(u)s 项") % {"c": report.created, "u": report.updated})
        elif action == "indicator":
            fields = {k: request.POST.get(k, "") for k in ("code", "dimension", "aspect", "name", "unit", "kind", "value_kind",
                                                           "direction", "department", "data_source", "target_value")}
            ind = indicator_services.create_indicator(request.user, target, **fields)
            messages.success(request, _("已新增特色指标 %(code)s") % {"code": ind.code})
        elif action == "measurement":
            ind = access.get_visible(request.user, Indicator.objects.select_related("indicator_set"), pk=request.POST.get("indicator"))
            measurement_services.record(request.user, ind, unit_kind=request.POST.get("unit_kind", ""), unit_code=request.POST.get("unit_code", ""),
                                        value=request.POST.get("value"), note=request.POST.get("note", ""))
            messages.success(request, _("已填报 %(name)s") % {"name": ind.name})
        elif action == "measurements":
            upload = request.FILES.get("file")
            if upload is None:
                raise_missing_file()
            report = measurement_services.import_xlsx(request.user, target, upload.read())
            report.raise_if_errors()
            messages.success(request, _("导入完成：新增 %(c)s 条，更新 %(u)s 条") % {"c": report.created, "u": report.updated})
        elif action == "compute":
            done = measurement_services.compute(request.user, target.year)
            messages.success(request, _("已计算 %(n)s 项指标，%(v)s 个值") % {"n": len(done), "v": sum(done.values())})
        elif action == "generate":
            r = ledger.generate_from_measurements(request.user, target.year)
            messages.success(request, _("不达标 %(f)s 项，新生成问题 %(c)s 个（已有 %(e)s 个）") % {"f": r["failing"], "c": r["created"], "e": r["existing"]})
        elif action == "recheck":
            r = ledger.recheck_by_measurements(request.user, target.year)
            messages.success(request, _("复核销号 %(c)s 个问题") % {"c": r["closed"]})
        return redirect(f"{request.path}?year={target.year}")
    inds = list(Indicator.objects.filter(indicator_set=current).select_related("responsible_unit")) if current else []
    writable = [i for i in inds if not i.computed_by and (access.is_office(request.user) or policy.can_write(request.user, i))]
    return render(request, "renewal/indicators.html", {
        "year": year, "years": _years(), "current": current, "indicators": inds, "writable": writable,
        "dimensions": Dimension.choices, "kinds": Indicator.Kind.choices, "value_kinds": Indicator.ValueKind.choices,
        "directions": Indicator.Direction.choices, "unit_kinds": SpatialUnit.choices, "providers": providers.all_providers(),
        "is_office": access.is_office(request.user), "next_year": (max(_years()) + 1) if _years() else dt.date.today().year})


def raise_missing_file():
    from chengyun.core.errors import Invalid

    raise Invalid(_("请选择文件"), code="missing_file")


@login_required
def indicator_set_export(request, set_id: int):
    s = access.get_visible(request.user, IndicatorSet.objects.all(), pk=set_id)
    resp = HttpResponse(indicator_services.export_xlsx(s), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="indicators-{s.year}.xlsx"'
    return resp


@login_required
@posts_service
def layers_page(request):
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            raise_missing_file()
        year = request.POST.get("year")
        report = layer_services.import_layer(
            request.user, layer_services.read_upload(upload.name, upload.read()), code=request.POST.get("code", ""),
            name=request.POST.get("name", ""), kind=request.POST.get("kind", ""), year=int(year) if (year or "").isdigit() else None,
            unit=request.POST.get("unit") or None, source_name=upload.name)
        report.raise_if_errors()
        messages.success(request, _("图层已导入，共 %(n)s 个要素") % {"n": report.created})
        return redirect(request.path)
    summary = layer_services.coverage_summary("straight") if Layer.objects.filter(kind=Layer.Kind.RESIDENTIAL).exists() else None
    network = (layer_services.coverage_summary("network")
               if summary and Layer.objects.filter(kind=Layer.Kind.ROAD).exists() else None)
    return render(request, "renewal/layers.html", {"layers": access.visible(request.user, Layer.objects.select_related("unit")),
                                                    "kinds": Layer.Kind.choices, "summary": summary, "network": network,
                                                    "config": layer_services.config()})
