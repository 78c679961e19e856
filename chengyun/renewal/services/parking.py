"""Parking supply against demand per community, the gap, and the projects closing it; also the
new-energy charger gap (新能源汽车充电桩缺口数) that follows from the same demand.

demand(community)  = ceil(households of its active compounds × RENEWAL_PARKING_SPACES_PER_HOUSEHOLD)
supply(community)  = spaces of its compounds, public lots, temporary lots and roadside bays
planned(community) = parking spaces of open 公共停车场 projects located in the community
gap                = max(0, demand − supply); after_projects = max(0, gap − planned)

chargers_needed    = ceil(demand × RENEWAL_CHARGER_SHARE_OF_SPACES); charger gap = max(0, needed − chargers)

Both ratios are configurable settings: the national 体检 manual leaves the standard to the
city, so the defaults (1.0 space per household, 10 % of spaces with chargers) are the
district's assumption, not law.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy

from .. import project_types as pt
from .. import project_workflow as pw
from ..models import ParkingSupply, Project
from .access import is_office, require_write


def spaces_per_household() -> float:
    return float(getattr(settings, "RENEWAL_PARKING_SPACES_PER_HOUSEHOLD", 1.0))


def charger_share() -> float:
    return float(getattr(settings, "RENEWAL_CHARGER_SHARE_OF_SPACES", 0.10))


@dataclass
class Gap:
    community: str
    community_name: str
    street: str
    households: int
    demand: int
    supply: int
    gap: int
    planned: int
    after_projects: int
    chargers_needed: int
    chargers: int
    charger_gap: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def gaps(street: str | None = None) -> list[Gap]:
    from chengyun.geo.models import Community, Compound

    communities = Community.objects.select_related("street").order_by("code")
    if street:
        communities = communities.filter(street__code=street)
    households = dict(Compound.objects.filter(active=True).values("community_id").annotate(n=Sum("households")).values_list("community_id", "n"))
    supply = {r["community_id"]: r for r in ParkingSupply.objects.values("community_id").annotate(spaces=Sum("spaces"), chargers=Sum("chargers"))}
    planned: dict[int, int] = {}
    for p in Project.objects.filter(type=pt.PARKING, state__in=pw.OPEN_STATES, community__isnull=False):
        planned[p.community_id] = planned.get(p.community_id, 0) + int(p.metrics.get("parking_spaces", 0))
    ratio, share = spaces_per_household(), charger_share()
    out = []
    for c in communities:
        hh = int(households.get(c.pk) or 0)
        demand = math.ceil(hh * ratio - 1e-9)
        s = supply.get(c.pk, {})
        have, chargers = int(s.get("spaces") or 0), int(s.get("chargers") or 0)
        gap = max(0, demand - have)
        plan = planned.get(c.pk, 0)
        needed = math.ceil(demand * share - 1e-9)
        out.append(Gap(c.code, c.name, c.street.code, hh, demand, have, gap, plan, max(0, gap - plan), needed, chargers, max(0, needed - chargers)))
    return out


def _community(value: Any) -> Any:
    from chengyun.geo.models import Community

    found = value if isinstance(value, Community) else Community.objects.filter(code=str(value or "").strip()).first()
    if found is None:
        raise Invalid(f"社区 {value} 不存在", code="unknown_community", detail={"field": "community"})
    return found


def add_supply(user: Any, *, code: str, name: str, kind: str, community: Any = None, compound: Any = None, spaces: Any,
               chargers: Any = 0, lng: Any = None, lat: Any = None, project: Project | None = None) -> ParkingSupply:
    """Register parking spaces: a compound's (community taken from it) or a public lot / bay."""
    from chengyun.geo.models import Compound

    comp = None
    if compound not in (None, ""):
        comp = compound if isinstance(compound, Compound) else Compound.objects.filter(code=str(compound)).first()
        if comp is None:
            raise Invalid(f"小区 {compound} 不存在", code="unknown_compound", detail={"field": "compound"})
    comm = comp.community if comp is not None else _community(community)
    if kind not in ParkingSupply.Kind.values:
        raise Invalid(f"未知的泊位类型：{kind}", code="bad_kind", detail={"field": "kind"})
    if kind == ParkingSupply.Kind.COMPOUND and comp is None:
        raise Invalid("小区内泊位须指定小区", code="compound_required", detail={"field": "compound"})
    try:
        n_spaces, n_chargers = int(spaces), int(chargers or 0)
    except (TypeError, ValueError):
        raise Invalid("泊位数和充电桩数应为整数", code="bad_number", detail={"field": "spaces"}) from None
    if n_spaces < 0 or n_chargers < 0 or n_chargers > n_spaces:
        raise Invalid("泊位数、充电桩数不能为负，充电桩不能多于泊位", code="bad_number", detail={"field": "chargers"})
    code, name = str(code or "").strip(), str(name or "").strip()
    if not code or not name:
        raise Invalid("请填写编号和名称", code="missing_code", detail={"field": "code"})
    if user is not None and not is_office(user):
        policy.require_create(user, ParkingSupply, community_id=comm.pk, street_id=comm.street_id, message="只能登记本人负责区域内的泊位")
    if ParkingSupply.objects.filter(code=code).exists():
        raise Conflict(f"泊位编号 {code} 已存在", code="duplicate_code", detail={"field": "code"})
    with transaction.atomic():
        s = ParkingSupply.objects.create(code=code[:32], name=name[:100], kind=kind, compound=comp, community=comm, spaces=n_spaces,
                                         chargers=n_chargers, project=project,
                                         lng=float(lng) if lng not in (None, "") else (comp.lng if comp else None),
                                         lat=float(lat) if lat not in (None, "") else (comp.lat if comp else None))
        audit.created(s)
    return s


def update_supply(user: Any, supply: ParkingSupply, *, spaces: Any = None, chargers: Any = None) -> ParkingSupply:
    if user is not None:
        require_write(user, supply, "只能修改本人负责区域内的泊位")
    new_spaces = supply.spaces if spaces is None else spaces
    new_chargers = supply.chargers if chargers is None else chargers
    try:
        new_spaces, new_chargers = int(new_spaces), int(new_chargers)
    except (TypeError, ValueError):
        raise Invalid("泊位数和充电桩数应为整数", code="bad_number", detail={"field": "spaces"}) from None
    if new_spaces < 0 or new_chargers < 0 or new_chargers > new_spaces:
        raise Invalid("泊位数、充电桩数不能为负，充电桩不能多于泊位", code="bad_number", detail={"field": "chargers"})
    with transaction.atomic():
        before = audit.snapshot(supply)
        supply.spaces, supply.chargers = new_spaces, new_chargers
        supply.save(update_fields=["spaces", "chargers"])
        audit.updated(supply, before)
    return supply


def register_completed_lot(project: Project) -> ParkingSupply | None:
    """A 公共停车场 project that passed 竣工验收 adds its spaces to the supply (once)."""
    if project.type != pt.PARKING or not project.completed or project.community_id is None:
        return None
    if ParkingSupply.objects.filter(project=project).exists():
        return None
    return add_supply(None, code=f"P-{project.code}", name=project.name, kind=ParkingSupply.Kind.TEMPORARY, community=project.community,
                      spaces=project.metrics.get("parking_spaces", 0), chargers=project.metrics.get("chargers", 0), lng=project.lng,
                      lat=project.lat, project=project)
