"""The case list's one filter definition: the list page reads it from the query string, the API
from its parameters. Codes are resolved to ids first so that each filter hits an index on the
case table instead of joining the area tables."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

from django.db.models import Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field

from . import standard, workflow

SH = ZoneInfo("Asia/Shanghai")
NONE = Q(pk__in=[])


def _ids(model, **lookup) -> list[int]:
    return list(model.objects.filter(**lookup).values_list("id", flat=True))


class CaseFilter(FilterSchema):
    q: Optional[str] = Field(None, description="案件编号（前缀）或描述、地址包含的文字")
    status: Optional[str] = Field(None, description="状态（可逗号分隔多个）；open = 未办结，closed = 已办结")
    kind: Optional[str] = Field(None, description="类型：event 事件 / component 部件")
    category: Optional[str] = Field(None, description="小类代码（4 位）；部件可写 B0101")
    source: Annotated[Optional[str], FilterLookup("source"), Field(description="来源")] = None
    unit: Optional[str] = Field(None, description="责任单位编码")
    street: Optional[str] = Field(None, description="街道编码")
    community: Optional[str] = Field(None, description="社区编码")
    grid: Optional[str] = Field(None, description="单元网格编码")
    clock: Annotated[Optional[str], FilterLookup("clock_status"), Field(description="时限状态：normal 正常 / warning 预警 / overdue 超期")] = None
    start: Optional[date] = Field(None, description="上报日期起（含）")
    end: Optional[date] = Field(None, description="上报日期止（含）")
    closed_start: Optional[date] = Field(None, description="结案日期起（含）")
    closed_end: Optional[date] = Field(None, description="结案日期止（含）")
    on_time: Optional[bool] = Field(None, description="true：从未超期；false：曾超期")
    escalated: Optional[bool] = Field(None, description="true：已督办（督办次数大于 0）")

    def filter_q(self, value):
        value = (value or "").strip()
        if not value:
            return Q()
        # Digits are a case number being typed: a prefix on the unique index, not a table scan.
        if value.isdigit():
            return Q(number__startswith=value)
        return Q(description__icontains=value) | Q(address__icontains=value) | Q(number__startswith=value)

    def filter_status(self, value):
        if not value:
            return Q()
        wanted: set[str] = set()
        for part in value.split(","):
            part = part.strip()
            if part == "open":
                wanted |= workflow.OPEN
            elif part == "closed":
                wanted |= workflow.TERMINAL
            elif part:
                wanted.add(part)
        return Q(status__in=sorted(wanted))

    def filter_kind(self, value):
        from .models import Category

        if not value:
            return Q()
        return Q(category_id__in=_ids(Category, kind=standard.KIND_BY_NAME.get(value, value)))

    def filter_category(self, value):
        from .models import Category

        if not value:
            return Q()
        value = value.strip()
        if value[:1].upper() == "B":
            return Q(category_id__in=_ids(Category, kind=standard.KIND_COMPONENT, code=value[1:]))
        lookup = {"code": value}
        if self.kind:
            lookup["kind"] = standard.KIND_BY_NAME.get(self.kind, self.kind)
        return Q(category_id__in=_ids(Category, **lookup))

    def filter_unit(self, value):
        from chengyun.geo.models import Unit

        return Q(unit_id__in=_ids(Unit, code=value)) if value else Q()

    def filter_street(self, value):
        from chengyun.geo.models import Street

        return Q(street_id__in=_ids(Street, code=value)) if value else Q()

    def filter_community(self, value):
        from chengyun.geo.models import Community

        return Q(community_id__in=_ids(Community, code=value)) if value else Q()

    def filter_grid(self, value):
        from chengyun.geo.models import Grid

        return Q(grid_id__in=_ids(Grid, code=value)) if value else Q()

    def filter_start(self, value):
        return Q(reported_at__gte=datetime.combine(value, time.min, SH)) if value else Q()

    def filter_end(self, value):
        return Q(reported_at__lt=datetime.combine(value + timedelta(days=1), time.min, SH)) if value else Q()

    def filter_closed_start(self, value):
        # Only the close transition sets closed_at (services.lifecycle): the date is the close date.
        return Q(closed_at__gte=datetime.combine(value, time.min, SH)) if value else Q()

    def filter_closed_end(self, value):
        return Q(closed_at__lt=datetime.combine(value + timedelta(days=1), time.min, SH)) if value else Q()

    def filter_on_time(self, value):
        return Q() if value is None else Q(was_overdue=not value)

    def filter_escalated(self, value):
        if value is None:
            return Q()
        return Q(escalation_level__gt=0) if value else Q(escalation_level=0)
