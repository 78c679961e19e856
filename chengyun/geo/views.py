from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from chengyun.people import policy

from .filters import UnitFilter
from .models import Unit


def filter_from_query(schema_cls, request):
    """Build a list page's filter from its query string, with the same definition the API uses."""
    values = {k: v for k, v in request.GET.items() if k in schema_cls.model_fields and v != ""}
    try:
        return schema_cls(**values), values
    except Exception:
        return schema_cls(), {}


@login_required
def map_page(request):
    return render(request, "geo/map.html")


@login_required
def units(request):
    filters, values = filter_from_query(UnitFilter, request)
    qs = filters.filter(policy.visible(request.user, Unit.objects.prefetch_related("contacts"))).distinct()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "geo/units.html", {"page": page, "values": values, "kinds": Unit.Kind.choices})


@login_required
def unit_detail(request, code: str):
    unit = policy.get_visible(request.user, Unit.objects.prefetch_related("contacts", "streets", "people__roles"), code=code)
    return render(request, "geo/unit_detail.html", {"unit": unit, "can_edit": policy.can_write(request.user, unit)})
