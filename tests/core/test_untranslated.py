"""No page shows an untranslated English string in the Chinese interface (issue 17 §6)."""
from __future__ import annotations

import pytest
from django.test import Client

from chengyun.core import audit, audit_display, current
from chengyun.core.i18n_check import crawl, english_words
from chengyun.people import roles as R


def test_english_words_are_found_where_a_reader_sees_them():
    assert english_words("<p>状态：pending</p>") == {"pending"}
    assert english_words('<input placeholder="search here">') == {"search", "here"}
    assert english_words('<input type="submit" value="Save">') == {"Save"}
    assert english_words('<button value="dispose">处置完毕</button>') == set()  # a button's value is not shown


def test_codes_data_and_proper_names_are_not_untranslated_words():
    html = """<p>管段 PK03-G1400H1、DN300、OPS、Hg、pH 7.2 mg/L，导出 Excel；文件列 <code>site_code</code>，
    <pre>chengyun geo import</pre><textarea>{"type":"Point"}</textarea><span translate="no">dwf:PK06</span>
    <a lang="en" href="?lang=en">English</a></p>"""
    assert english_words(html) == set()


def test_the_audit_page_names_sources_models_fields_and_verbs_in_chinese(make_user, district):
    from chengyun.geo.models import Unit

    unit = Unit.objects.get(code="OPS")
    with current.acting(None, source="cli"):
        audit.action(unit, "set_contacts", before={"contacts": []}, after={"contacts": [{"name": "张三"}], "note": "换人"})
        audit.action(unit, "made_up_verb", after={"state": None, "flag": True})
    user = make_user(R.AUDITOR)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    html = client.get("/people/audit/").content.decode()
    assert english_words(html) == set()
    assert "命令行" in html and "修改联系人" in html and "责任单位" in html and "说明" in html
    row = audit_display.rows([e for e in unit_entries(unit)])[0]
    assert row.verb == "" and str(row.source) == "命令行"


def unit_entries(unit):
    from chengyun.core.models import AuditEntry

    return AuditEntry.objects.filter(object_type="geo.unit", object_id=str(unit.pk), verb="made_up_verb")


def test_a_transition_registered_by_its_app_is_named_on_the_audit_page():
    audit_display.register_verbs("test.thing", {"approve": "批准"})
    assert audit_display.verb_label("test.thing", "approve") == "批准"
    assert audit_display.verb_label("other.thing", "approve") == ""


@pytest.mark.parametrize("role", [R.SYSADMIN, R.DISTRICT_LEADER, R.OPS_DISPATCHER, R.DEPT_HANDLER, R.COMMUNITY_GRID_WORKER, R.RIVER_CHIEF, R.AUDITOR,
                                  R.VILLAGE_CADRE, R.STREET_OFFICER])
def test_pages_a_role_reaches_show_no_english_in_chinese(make_user, district, role):
    from chengyun.geo.models import Grid

    grids = list(Grid.objects.order_by("code").values_list("code", flat=True)[:2])
    user = make_user(role, unit="D01" if role == R.DEPT_HANDLER else "OPS", grids=grids)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    found = crawl(client, max_pages=150)
    assert found == {}, "\n".join(f"{w}: {sorted(p)[:3]}" for w, p in sorted(found.items()))


def test_every_workflow_transition_is_named_for_the_audit_page():
    from chengyun.cases import workflow as case_workflow
    from chengyun.drainage.services.misconnection import TRANSITIONS as MISCONNECTION
    from chengyun.supervision.services.lifecycle import TRANSITIONS as KEYTASK
    from chengyun.water.services.alerts import TRANSITIONS as ALERT

    for otype, actions in (("cases.case", case_workflow.ACTIONS), ("water.alert", ALERT), ("supervision.keytask", KEYTASK),
                           ("drainage.misconnection", MISCONNECTION)):
        for action in actions:
            assert audit_display.verb_label(otype, action), f"{otype} {action}"


def test_every_named_operation_the_code_audits_has_a_label():
    """A verb written literally (``audit.action(obj, "lock")``, ``verb="import_network"``) is named
    in audit_display, so a new operation cannot reach the audit page as an English identifier."""
    import re
    from pathlib import Path

    import chengyun

    root = Path(chengyun.__file__).resolve().parent
    verbs: dict[str, str] = {}
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r'audit\.action\(\s*[^,()]+,\s*"([a-z_0-9]+)"', r'\bverb="([a-z_0-9]+)"'):
            for verb in re.findall(pattern, text):
                verbs.setdefault(verb, str(path.relative_to(root)))
    assert len(verbs) > 40
    unnamed = {v: where for v, where in verbs.items() if not audit_display.VERBS.get(v)}
    assert not unnamed, f"name these in chengyun/core/audit_display.py VERBS: {unnamed}"
