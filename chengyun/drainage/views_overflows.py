"""冒溢记录 page: the records fed from water's overflow alerts (linked to their alert) and those
entered by hand, with the form to enter one where nothing measures."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError
from chengyun.people import policy
from chengyun.people import roles as R

from . import overflow_feed
from .models import OverflowRecord


def _when(text: str | None) -> dt.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:  # an unreadable day filters nothing, as the other lists' filters do
        return None


@login_required
@require_http_methods(["GET", "POST"])
def overflows(request):
    p = policy.principal(request.user)
    can_enter = p.has(R.OPS_CENTER | {R.SYSADMIN, R.DEPT_HANDLER})
    form: dict = {}
    if request.method == "POST":
        post = request.POST
        try:
            occurred_at, ended_at = _when(post.get("occurred_at")), _when(post.get("ended_at"))
            if post.get("ended_at") and ended_at is None:
                raise DomainError(_("结束时间格式有误"))
            peak = post.get("peak_lps", "").strip()
            record = overflow_feed.enter_overflow(request.user, post.get("node", ""), occurred_at=occurred_at, ended_at=ended_at,
                                                  peak_lps=float(peak) if peak else None, note=post.get("note", ""),
                                                  source=post.get("source", ""))
            messages.success(request, _("已登记 %(node)s 的冒溢") % {"node": record.node.code})
            return redirect("drainage:overflows")
        except ValueError:
            messages.error(request, _("峰值流量应为数字"))
            form = post
        except DomainError as e:
            messages.error(request, e.message)
            form = post
    qs = policy.visible(request.user, OverflowRecord.objects.select_related("node"))
    origin = request.GET.get("origin", "")
    if origin in ("alert", "manual"):
        qs = qs.filter(water_alert_id__isnull=origin == "manual")
    # The period and street the cockpit's overflow count links with (days inclusive, local time).
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"))
    if start:
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(start, dt.time.min, timezone.get_current_timezone()))
    if end:
        qs = qs.filter(occurred_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, timezone.get_current_timezone()))
    if request.GET.get("street"):
        qs = qs.filter(node__street__code=request.GET["street"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "drainage/overflows.html", {"page": page, "origin": origin, "can_enter": can_enter, "form": form})
