"""Where the fund's own roles land (registry ``home_page``): a village cadre on their village's
projects, a street officer on the projects waiting for the street's first review."""
from __future__ import annotations

from django.shortcuts import redirect

from chengyun.people import policy
from chengyun.people import roles as R


def home(request):
    p = policy.principal(request.user)
    if p.has(frozenset({R.STREET_OFFICER})):
        return redirect("villagefund:queue")
    if p.has(frozenset({R.VILLAGE_CADRE})):
        return redirect("villagefund:projects")
    return None
