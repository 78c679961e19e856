"""Matrix declarations for /api/v1/property/: companies, records and the scheme (the property
office: department handlers of a 住建 unit, and system administrators), assessments and
coverage files (the street and community people of their area).

The matrix's users all belong to D01 (城管), so of them the office is the system administrator;
OFFICE computes it from the setting rather than assuming it.
"""
from __future__ import annotations

import datetime as dt
import json

from matrix import UNIT_IN, Create, List, Open, Read, Write, by_results
from chengyun.people import roles as R
from chengyun.property import workflow as PW

PAGE = lambda w, s, o: {"limit": 500}  # noqa: E731


def OFFICE() -> frozenset[str]:
    from chengyun.geo.models import Unit
    from chengyun.property.services.access import office_specialties

    in_office = Unit.objects.filter(code=UNIT_IN, specialty__in=office_specialties()).exists()
    return frozenset({R.SYSADMIN} | ({R.DEPT_HANDLER} if in_office else set()))


def _code(n: int) -> str:
    from chengyun.standards import gb32100

    first17 = f"91630102MA{n:07d}"
    return first17 + gb32100.check_character(first17)


def company(world, scope=None):
    """A company on the red board (so a board measure may be recorded)."""
    def make():
        from chengyun.property import services

        c = services.create_company(None, name="矩阵物业服务有限公司", credit_code=_code(1), base_score=80)
        services.add_record(None, c, item="G01", evidence="矩阵示范项目")
        c.refresh_from_db()
        return c

    return world.once(("property_company",), make)


def compound(world, scope, mode="professional", tag=""):
    def make():
        from shapely.geometry import box, mapping

        from chengyun.geo import compounds

        lng, lat = world.point(scope)
        poly = box(lng - 0.0003, lat - 0.0002, lng + 0.0003, lat + 0.0002)
        return compounds.create_compound(None, code=f"XQM-{scope}-{mode}{tag}", name=f"矩阵小区{scope}{mode}{tag}", community=world.grid(scope).community.code,
                                         management_mode=mode, geometry=json.dumps(mapping(poly)))

    return world.once(("property_compound", scope, mode, tag), make)


def record(world, scope=None):
    """A serious bad record (one the office confirms rectified)."""
    def make():
        from chengyun.property import services

        return services.add_record(None, company(world), item="B05", evidence="矩阵弃管项目")

    return world.once(("property_record",), make)


def assessment(world, scope):
    def make():
        from chengyun.property import services
        from chengyun.property.services.assessments import period_of, previous_period

        return services.assess(None, compound(world, scope), period=previous_period(period_of(dt.date.today())), scores=SCORES,
                               survey_sample=20, survey_satisfied=18)

    return world.once(("property_assessment", scope), make)


def coverage_file(world, scope):
    def make():
        from chengyun.property import services

        return services.open_file(None, compound(world, scope, "none"), target_date=dt.date.today() + dt.timedelta(days=60),
                                  owner_unit=world.unit(scope))

    return world.once(("property_file", scope), make)


def this_period() -> str:
    from chengyun.property.services.assessments import period_of

    return period_of(dt.date.today())


SCORES = {"infrastructure": 20, "safety": 12, "response": 12, "co_governance": 12, "fees": 7}

SPEC = {
    # the register's compounds with their management: everyone reads; the office records management
    "chengyun_property_api_compound_list": Open(query=PAGE),
    "chengyun_property_api_compound_detail": Read(model="geo.Compound", make=compound, path=lambda c: {"code": c.code}),
    "chengyun_property_api_compound_management": Write(model="geo.Compound", make=compound, path=lambda c: {"code": c.code}, gate=OFFICE,
                                                       body=lambda w, s, o: {"mode": "professional", "company": company(w).pk}),
    # companies and credit: public within the platform, kept by the office
    "chengyun_property_api_company_list": List(model="property.Company", make=company, found=by_results("id", "pk"), query=PAGE),
    "chengyun_property_api_company_detail": Read(model="property.Company", make=company, path=lambda c: {"company_id": c.pk}),
    "chengyun_property_api_company_create": Open(gate=OFFICE, body=lambda w, s, o: {"name": "矩阵新物业", "credit_code": _code(2)}),
    "chengyun_property_api_company_update": Write(model="property.Company", make=company, path=lambda c: {"company_id": c.pk}, gate=OFFICE,
                                                  body=lambda w, s, o: {"phone": "0971-1234567"}),
    "chengyun_property_api_manager_create": Write(model="property.Company", make=company, path=lambda c: {"company_id": c.pk}, gate=OFFICE,
                                                  body=lambda w, s, o: {"name": "矩阵经理"}),
    "chengyun_property_api_measure_create": Write(model="property.Company", make=company, path=lambda c: {"company_id": c.pk}, gate=OFFICE,
                                                  body=lambda w, s, o: {"kind": "promotion", "note": "经验推广"}),
    "chengyun_property_api_scheme_detail": Open(),
    "chengyun_property_api_scheme_update": Open(gate=OFFICE, body=lambda w, s, o: {"validity_days": 365}),
    "chengyun_property_api_record_list": List(model="property.CreditRecord", make=record, found=by_results("id", "pk"), query=PAGE),
    "chengyun_property_api_record_detail": Read(model="property.CreditRecord", make=record, path=lambda r: {"record_id": r.pk}),
    "chengyun_property_api_record_create": Open(gate=OFFICE, body=lambda w, s, o: {"company": company(w).pk, "item": "G02", "evidence": "区级表彰"}),
    "chengyun_property_api_record_rectify": Write(model="property.CreditRecord", make=record, path=lambda r: {"record_id": r.pk}, gate=OFFICE,
                                                  body=lambda w, s, o: {"note": "已恢复服务"}),
    # assessments: the street and community people of the area
    "chengyun_property_api_assessment_list": List(model="property.Assessment", make=assessment, found=by_results("id", "pk"), query=PAGE),
    "chengyun_property_api_assessment_detail": Read(model="property.Assessment", make=assessment, path=lambda a: {"assessment_id": a.pk}),
    "chengyun_property_api_assessment_sheet": Open(),
    "chengyun_property_api_assessment_ranking": Open(query=lambda w, s, o: {"period": "2025Q1"}),
    "chengyun_property_api_assessment_create": Create(model="property.Assessment", body=lambda w, s, o: {
        "compound": compound(w, s).code, "period": this_period(),
        "scores": SCORES, "survey_sample": 20, "survey_satisfied": 16}),
    # the coverage campaign
    "chengyun_property_api_coverage": Open(),
    "chengyun_property_api_coverage_map": Open(),
    "chengyun_property_api_file_list": List(model="property.CoverageFile", make=coverage_file, found=by_results("id", "pk"), query=PAGE),
    "chengyun_property_api_file_detail": Read(model="property.CoverageFile", make=coverage_file, path=lambda f: {"file_id": f.pk}),
    "chengyun_property_api_file_create": Create(model="property.CoverageFile", body=lambda w, s, o: {
        "compound": compound(w, s, "none", "new").code, "target_date": (dt.date.today() + dt.timedelta(days=90)).isoformat(), "owner_unit": w.unit(s).code}),
    "chengyun_property_api_file_action": Write(model="property.CoverageFile", make=coverage_file, path=lambda f: {"file_id": f.pk, "action": "choose_path"},
                                               gate=lambda: PW.TRANSITIONS["choose_path"].roles | OFFICE(), narrows=True,
                                               body=lambda w, s, o: {"path": "market"}),
}
