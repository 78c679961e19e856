"""The water registry: water bodies, river chiefs (河湖长), reaches, sections and outfalls.

Set up and changed by the ops center. Codes never change: sites, devices, cases and patrols
refer to them. Ending an appointment (active = False) keeps every patrol of the chief as it
is (history; an ongoing one may still be finished or cancelled) and hands the chief's
reaches and sections to a successor of the same level if one is named, otherwise leaves them
vacant (chief empty, listed as 待任命 on the chiefs page) so a dismissed chief answers for
nothing. Cameras are in ``cameras``; linking a monitoring device to a site in ``readings``.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import roles as R

from .. import geometry
from ..models import ChiefLevel, Outfall, Reach, RiverChief, Section, WaterBody
from .checks import clean_code, clean_text, require_ops, require_registry_admin, site_place
from .targets import target_changed


def create_water_body(user: Any, *, code: str, name: str, kind: str, geometry_json: str = "", description: str = "") -> WaterBody:
    require_ops(user, WaterBody)
    code = clean_code(code, "水体")
    name = clean_text(name, "水体名称", "name", 100)
    if kind not in WaterBody.Kind.values:
        raise Invalid(f"水体类型 {kind!r} 无效，应为 river（河流）或 lake（湖泊/水库）", code="invalid_kind", detail={"field": "kind"})
    if WaterBody.objects.filter(code=code).exists():
        raise Conflict(f"水体编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        body = WaterBody.objects.create(code=code, name=name, kind=kind, geometry=geometry.clean_geojson(geometry_json, ("LineString", "MultiLineString", "Polygon", "MultiPolygon")), description=description)
        audit.created(body)
    return body


def appoint_chief(user: Any, *, person, level: str, title: str = "") -> RiverChief:
    """Appoint a person as river chief. A person holds one appointment: an active one is a
    conflict (change it with ``update_chief``); an ended one is renewed."""
    require_ops(user, RiverChief)
    _check_level(level, "河长")
    title = clean_text(title, "职务", "title", 60, required=False)
    if not person.active:
        raise Invalid(f"{person.name} 已不在岗，不能任命为河湖长", code="person_inactive", detail={"field": "person"})
    if R.RIVER_CHIEF not in person.role_codes:
        raise Invalid(f"{person.name} 没有“河长”角色，请先在人员管理中授予", code="not_river_chief")
    existing = RiverChief.objects.filter(person=person, active=True).first()
    if existing is not None:
        raise Conflict(f"{person.name} 已是在任的{existing.get_level_display()}河湖长", code="already_appointed")
    with transaction.atomic():
        chief, created = RiverChief.objects.get_or_create(person=person, defaults={"level": level, "title": title})
        if created:
            audit.created(chief)
        else:
            before = audit.snapshot(chief)
            chief.level, chief.title, chief.active = level, title, True
            chief.save()
            audit.updated(chief, before, verb="reappoint")
    return chief


def create_reach(user: Any, *, code: str, name: str, water_body: WaterBody, level: str, chief: RiverChief | None = None,
                 street=None, community=None, geometry_json: str = "") -> Reach:
    require_ops(user, Reach)
    code = clean_code(code, "河段")
    name = clean_text(name, "河段名称", "name", 100)
    _check_level(level, "河段")
    _check_reach_chief(chief, level)
    if Reach.objects.filter(code=code).exists():
        raise Conflict(f"河段编码 {code} 已存在", code="duplicate_code")
    street, community = _reach_place(street, community)
    track = geometry.clean_geojson(geometry_json, ("LineString", "MultiLineString", "Polygon"))
    with transaction.atomic():
        reach = Reach.objects.create(code=code, name=name, water_body=water_body, level=level, chief=chief, street=street,
                                     community=community, geometry=track, length_m=geometry.length_m(track))
        audit.created(reach)
    return reach


def create_section(user: Any, *, code: str, name: str, water_body: WaterBody, lng: float, lat: float, target_class: int,
                   chief: RiverChief | None = None, reach: Reach | None = None) -> Section:
    require_ops(user, Section)
    code = clean_code(code, "断面")
    if target_class not in (1, 2, 3, 4, 5):
        raise Invalid("目标水质类别应为 1–5（Ⅰ–Ⅴ类）", code="invalid_target_class", detail={"field": "target_class"})
    if Section.objects.filter(code=code).exists() or Outfall.objects.filter(code=code).exists():
        raise Conflict(f"站点编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        section = Section.objects.create(code=code, name=name, water_body=water_body, target_class=target_class, chief=chief,
                                         reach=reach, **site_place(lng, lat))
        audit.created(section)
    return section


def create_outfall(user: Any, *, code: str, name: str, kind: str, water_body: WaterBody, lng: float, lat: float, unit,
                   reach: Reach | None = None) -> Outfall:
    require_ops(user, Outfall)
    code = clean_code(code, "排污口")
    if kind not in Outfall.Kind.values:
        raise Invalid(f"排污口类型 {kind!r} 无效，应为 {'/'.join(Outfall.Kind.values)}", code="invalid_kind", detail={"field": "kind"})
    if Outfall.objects.filter(code=code).exists() or Section.objects.filter(code=code).exists():
        raise Conflict(f"站点编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        outfall = Outfall.objects.create(code=code, name=name, kind=kind, water_body=water_body, unit=unit, reach=reach, **site_place(lng, lat))
        audit.created(outfall)
    return outfall


_SITE_FIELDS = {"section": {"name", "target_class", "chief", "reach", "active", "water_body"},
                "outfall": {"name", "kind", "reach", "unit", "active", "water_body"}}


def update_site(user: Any, site: Section | Outfall, *, lng: float | None = None, lat: float | None = None, **changes: Any) -> Section | Outfall:
    """Change a section's or outfall's attributes (those of its kind): an active chief, a reach
    on the site's water body, a non-empty name; a move re-locates it in the grid."""
    if user is not None:
        # A chief reads the sites they answer for (the rule's person path) but the registry is the ops center's.
        require_registry_admin(user, site)
    unknown = set(changes) - _SITE_FIELDS[site.SITE_KIND]
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    if "name" in changes:
        changes["name"] = clean_text(changes["name"], "站点名称", "name", 100)
    for field in ("water_body", "unit"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{'水体' if field == 'water_body' else '责任单位'}不能为空", code="missing_fields", detail={"field": field})
    chief = changes.get("chief")
    if chief is not None and chief.pk != site.chief_id and not chief.active:
        raise Invalid(f"{chief.person.name} 已不在任，不能担任责任河长", code="chief_not_active", detail={"field": "chief"})
    reach = changes.get("reach")
    body = changes.get("water_body") or site.water_body
    if reach is not None and reach.water_body_id != body.pk:
        raise Invalid(f"河段“{reach.name}”不在{body.name}上", code="reach_not_on_water_body", detail={"field": "reach"})
    if "active" in changes:
        changes["active"] = bool(changes["active"])
    if "target_class" in changes and changes["target_class"] not in (1, 2, 3, 4, 5):
        raise Invalid("目标水质类别应为 1–5（Ⅰ–Ⅴ类）", code="invalid_target_class", detail={"field": "target_class"})
    if "kind" in changes and changes["kind"] not in Outfall.Kind.values:
        raise Invalid(f"排污口类型 {changes['kind']!r} 无效", code="invalid_kind", detail={"field": "kind"})
    with transaction.atomic():
        before = audit.snapshot(site)
        if lng is not None or lat is not None:
            for k, v in site_place(lng if lng is not None else site.lng, lat if lat is not None else site.lat).items():
                setattr(site, k, v)
        for k, v in changes.items():
            setattr(site, k, v)
        site.save()
        audit.updated(site, before)
        if isinstance(site, Section) and before.get("target_class") != site.target_class:
            target_changed(user, site, before["target_class"])
    return site


def section_by_code(code: str) -> Section | None:
    return Section.objects.select_related("water_body", "chief__person").filter(code=code).first()


def outfall_by_code(code: str) -> Outfall | None:
    """The outfall registered under `code` (the drainage outfall node carries the same code)."""
    return Outfall.objects.select_related("water_body", "unit", "reach").filter(code=code).first()


def site_by_code(site_kind: str, code: str) -> Section | Outfall | None:
    if site_kind == "section":
        return section_by_code(code)
    if site_kind == "outfall":
        return outfall_by_code(code)
    return None


def _check_level(level: str, what: str) -> str:
    if level not in ChiefLevel.values:
        raise Invalid(f"{what}层级 {level!r} 无效，应为 {'/'.join(ChiefLevel.values)}", code="invalid_level", detail={"field": "level"})
    return level


def _check_reach_chief(chief: RiverChief | None, level: str) -> None:
    if chief is None:
        return
    if not chief.active:
        raise Invalid(f"{chief.person.name} 已不在任，不能负责河段", code="chief_not_active", detail={"field": "chief"})
    if chief.level != level:
        raise Invalid(f"{chief} 不是{ChiefLevel(level).label}河长，不能负责该层级河段", code="level_mismatch", detail={"field": "chief"})


def _reach_place(street, community):
    """A community implies its street; both given must agree."""
    if community is None:
        return street, None
    if street is None:
        return community.street, community
    if community.street_id != street.pk:
        raise Invalid(f"社区“{community.name}”不属于街道“{street.name}”", code="community_not_in_street", detail={"field": "community"})
    return street, community


def update_water_body(user: Any, body: WaterBody, **changes: Any) -> WaterBody:
    """Change a water body's name, kind, geometry or description (not its code). A change of
    kind (river ↔ lake) applies to evaluations from now on; ``services.reevaluate`` re-judges history."""
    require_registry_admin(user, body)
    unknown = set(changes) - {"name", "kind", "geometry_json", "description"}
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        body = WaterBody.objects.select_for_update().get(pk=body.pk)
        before = audit.snapshot(body)
        if "name" in changes:
            body.name = clean_text(changes["name"], "水体名称", "name", 100)
        if "kind" in changes:
            if changes["kind"] not in WaterBody.Kind.values:
                raise Invalid(f"水体类型 {changes['kind']!r} 无效，应为 river（河流）或 lake（湖泊/水库）", code="invalid_kind", detail={"field": "kind"})
            body.kind = changes["kind"]
        if "geometry_json" in changes:
            body.geometry = geometry.clean_geojson(changes["geometry_json"] or "", ("LineString", "MultiLineString", "Polygon", "MultiPolygon"))
        if "description" in changes:
            body.description = clean_text(changes["description"], "说明", "description", 2000, required=False)
        body.save()
        audit.updated(body, before)
    return body


def _end_appointment(chief: RiverChief, successor: RiverChief | None) -> RiverChief:
    if successor is not None:
        if successor.pk == chief.pk:
            raise Invalid("接任的河湖长不能是本人", code="invalid_successor", detail={"field": "successor"})
        if not successor.active:
            raise Invalid(f"{successor.person.name} 已不在任，不能接任", code="chief_not_active", detail={"field": "successor"})
        if successor.level != chief.level:
            raise Invalid(f"接任者应为{chief.get_level_display()}河长（河段层级不变）", code="level_mismatch", detail={"field": "successor"})
    reaches, sections = [], []
    for reach in Reach.objects.select_for_update().filter(chief=chief):
        before = audit.snapshot(reach)
        reach.chief = successor
        reach.save(update_fields=["chief"])
        audit.updated(reach, before, verb="handover" if successor else "vacate")
        reaches.append(reach.code)
    for section in Section.objects.select_for_update().filter(chief=chief):
        before = audit.snapshot(section)
        section.chief = successor
        section.save(update_fields=["chief"])
        audit.updated(section, before, verb="handover" if successor else "vacate")
        sections.append(section.code)
    chief.active = False
    chief.save(update_fields=["active"])
    audit.action(chief, "end_appointment", before={"active": True},
                 after={"active": False, "successor": successor.pk if successor else None, "reaches": reaches, "sections": sections})
    return chief


def end_appointment(user: Any, chief: RiverChief, *, successor: RiverChief | None = None) -> RiverChief:
    """End a chief's appointment; their reaches and sections go to `successor` or stay vacant.
    Patrols are untouched (an ongoing one may still be finished or cancelled)."""
    return update_chief(user, chief, active=False, successor=successor)


def update_chief(user: Any, chief: RiverChief, *, level: str | None = None, title: str | None = None, active: bool | None = None,
                 successor: RiverChief | None = None) -> RiverChief:
    """Change a chief's level or title, end the appointment (active False, optionally naming a
    successor for the reaches) or renew an ended one (active True)."""
    require_registry_admin(user, chief)
    if successor is not None and active is not False:
        raise Invalid("只有结束任职时才能指定接任者", code="invalid_successor", detail={"field": "successor"})
    with transaction.atomic():
        chief = RiverChief.objects.select_for_update(of=("self",)).select_related("person").get(pk=chief.pk)
        before = audit.snapshot(chief)
        renewed = False
        if level is not None and level != chief.level:
            _check_level(level, "河长")
            held = Reach.objects.filter(chief=chief).exclude(level=level).count()
            if held:
                raise Conflict(f"{chief.person.name} 仍负责 {held} 个{chief.get_level_display()}河段，请先把这些河段交给其他河湖长再改层级",
                               code="chief_has_reaches", detail={"reaches": held})
            chief.level = level
        if title is not None:
            chief.title = clean_text(title, "职务", "title", 60, required=False)
        if active is True and not chief.active:
            if R.RIVER_CHIEF not in chief.person.role_codes:
                raise Invalid(f"{chief.person.name} 没有“河长”角色，请先在人员管理中授予", code="not_river_chief")
            chief.active, renewed = True, True
        chief.save()
        audit.updated(chief, before, verb="reappoint" if renewed else "")
        if active is False:
            if not chief.active:
                raise Conflict(f"{chief.person.name} 的任职已结束", code="already_ended")
            _end_appointment(chief, successor)
    return chief


_REACH_FIELDS = {"name", "level", "chief", "street", "community", "geometry_json"}


def update_reach(user: Any, reach: Reach, **changes: Any) -> Reach:
    """Assign or change a reach's chief (None: vacant), its level, street, community, name or geometry.
    Patrols on the reach keep the chief who walked them."""
    require_registry_admin(user, reach)
    unknown = set(changes) - _REACH_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        reach = Reach.objects.select_for_update(of=("self",)).select_related("chief__person", "street", "community").get(pk=reach.pk)
        before = audit.snapshot(reach)
        if "name" in changes:
            reach.name = clean_text(changes["name"], "河段名称", "name", 100)
        level = _check_level(changes["level"], "河段") if "level" in changes else reach.level
        chief = changes["chief"] if "chief" in changes else reach.chief
        if "chief" in changes or level != reach.level:
            _check_reach_chief(chief, level)
        reach.level, reach.chief = level, chief
        if "street" in changes or "community" in changes:
            street = changes["street"] if "street" in changes else reach.street
            community = changes["community"] if "community" in changes else reach.community
            if "street" in changes and "community" not in changes and community is not None and street is not None and community.street_id != street.pk:
                community = None  # a new street leaves the old street's community behind
            reach.street, reach.community = _reach_place(street, community)
        if "geometry_json" in changes:
            reach.geometry = geometry.clean_geojson(changes["geometry_json"] or "", ("LineString", "MultiLineString", "Polygon"))
            reach.length_m = geometry.length_m(reach.geometry)
        reach.save()
        audit.updated(reach, before)
    return reach

