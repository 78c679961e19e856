"""The survey / inspection form (登记入户调查或桶边检查): ``services.record_check``, the function
POST /api/v1/waste/surveys calls. A refusal re-renders the form (422) naming the field; a role
that keeps no compounds' register is refused (403) and sees no button."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Compound
from chengyun.people import policy

from . import services
from .models import SortingCheck

LABELS = {"compound": gettext_lazy("小区"), "kind": gettext_lazy("类型"), "checked_on": gettext_lazy("日期"), "sample": gettext_lazy("样本户数"),
          "aware": gettext_lazy("知晓户数"), "participating": gettext_lazy("参与户数"), "correct": gettext_lazy("准确投放户数"),
          "inspector": gettext_lazy("调查人")}


def may_record(user) -> bool:
    rule = policy.rule_for(SortingCheck)
    return policy.principal(user).has(rule.write | rule.wide_write)


def _compounds(user):
    p = policy.principal(user)
    qs = Compound.objects.select_related("community").order_by("community__code", "code")
    if p.has(policy.rule_for(SortingCheck).wide_write):
        return qs
    return qs.filter(Q(community_id__in=p.community_ids) | Q(community__street_id__in=p.street_ids)).distinct()


def _int(post, name: str, *, required: bool):
    raw = (post.get(name) or "").strip()
    if not raw:
        if required:
            raise Invalid(_("%(label)s不能为空") % {"label": LABELS[name]}, code="missing_field", detail={"field": name})
        return None
    try:
        return int(raw)
    except ValueError:
        raise Invalid(_("%(label)s应为整数") % {"label": LABELS[name]}, code="bad_number", detail={"field": name}) from None


@login_required
@require_http_methods(["GET", "POST"])
def check_new(request):
    if not may_record(request.user):
        raise Forbidden(_("只有社区网格员和街长可以登记调查"))
    error = None
    post = request.POST
    if request.method == "POST":
        try:
            try:
                day = dt.date.fromisoformat(post.get("checked_on", "").strip())
            except ValueError:
                raise Invalid(_("日期应为年-月-日"), code="bad_date", detail={"field": "checked_on"}) from None
            check = services.record_check(request.user, compound=post.get("compound", ""), kind=post.get("kind", ""), checked_on=day,
                                          sample=_int(post, "sample", required=True), inspector=post.get("inspector", ""),
                                          aware=_int(post, "aware", required=False), participating=_int(post, "participating", required=False),
                                          correct=_int(post, "correct", required=False))
        except Forbidden:
            raise
        except DomainError as exc:
            field = str(exc.detail.get("field", "")) if isinstance(exc.detail, dict) else ""
            error = {"field": field, "label": LABELS.get(field, ""), "message": exc.message}
        else:
            messages.success(request, _("已登记 %(code)s，小区已重新评定") % {"code": check.code})
            return redirect(f"/waste/compounds/?q={check.compound.code}")
    return render(request, "waste/check_form.html", {"error": error, "form": post if request.method == "POST" else {},
                                                     "compounds": _compounds(request.user), "kinds": SortingCheck.Kind.choices,
                                                     "today": dt.date.today()}, status=422 if error else 200)
