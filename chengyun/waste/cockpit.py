"""The waste-sorting panel of the leader's cockpit: compliant compounds and sorting coverage.

Each count links to the compound list filtered so that its count equals the figure.
"""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from .models import SortingCompound


def sorting(scope: PanelScope) -> PanelData:
    qs = policy.visible(scope.user, SortingCompound.objects.all())
    url = reverse("waste:compounds")
    street = ""
    if scope.street_id:
        from chengyun.geo.models import Street

        code = Street.objects.filter(pk=scope.street_id).values_list("code", flat=True).first()
        if code:
            qs = qs.filter(street_id=scope.street_id)
            street = f"street={code}"
    registered = qs.count()
    sorting_n = qs.filter(sorting_since__isnull=False, sorting_since__lte=scope.end).count()
    compliant = qs.filter(compliant=True).count()
    rate = round(sorting_n / registered * 100, 1) if registered else 0.0
    join = "&" if street else ""
    return PanelData(figures=[
        Figure(_("达标小区"), compliant, _("个"), f"{url}?compliant=true{join}{street}", "green" if registered and compliant / registered >= 0.6 else "yellow"),
        Figure(_("未达标小区"), registered - compliant, _("个"), f"{url}?compliant=false{join}{street}"),
        Figure(_("登记分类小区"), registered, _("个"), f"{url}?{street}"),
        Figure(_("居民小区垃圾分类覆盖率"), rate, "%", reverse("waste:dashboard"), counted=False),
    ])
