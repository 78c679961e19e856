"""English texts that several apps share: Django pools every app's catalogue, so a bare msgid
gets one English text everywhere, and a plural or a domain word needs its own context."""
from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from chengyun.core.registry import nav_items

LOCALES = Path(__file__).resolve().parents[2] / "chengyun"
SHARED_SINGULAR = {"案件": "Case", "街道": "Subdistrict", "社区": "Community", "单元网格": "Unit grid", "责任单位": "Responsible unit", "节点": "Node"}


def test_shared_words_are_singular_in_every_catalogue_that_has_them():
    checked = 0
    for po in LOCALES.glob("*/locale/en/LC_MESSAGES/django.po"):
        lines = po.read_text(encoding="utf-8").splitlines()
        for k, line in enumerate(lines):
            found = re.fullmatch(r'msgid "(.*)"', line)
            if not found or found.group(1) not in SHARED_SINGULAR or lines[k - 1].startswith("msgctxt"):
                continue
            english = re.fullmatch(r'msgstr "(.*)"', lines[k + 1]).group(1)
            assert english == SHARED_SINGULAR[found.group(1)], f"{po}: {found.group(1)} → {english!r}"
            checked += 1
    assert checked >= 15  # the words are in cases, core, geo, drainage, roads, water, supervision


def test_plurals_and_domain_words_have_their_context():
    with translation.override("en"):
        labels = [str(item.label) for item in nav_items()]
        assert "Cases" in labels and "Responsible units" in labels
        assert translation.gettext("街道") == "Subdistrict"
        assert translation.pgettext("复数", "案件") == "Cases"
        assert translation.gettext("节点") == "Node"
        assert translation.pgettext("督办", "节点") == "Milestone"


def test_jiedao_is_a_subdistrict_with_its_sense_declared_everywhere_it_stands_alone():
    """街道 is the administrative sub-district (街道办事处's area), never a road: every place that
    shows it alone says so by context, so a road street (街长, 道路) can never borrow its English."""
    with translation.override("en"):
        assert translation.pgettext("行政区划", "街道") == "Subdistrict"
        assert translation.pgettext("行政区划（复数）", "街道") == "Subdistricts"
        assert translation.gettext("街道办事处") == "Subdistrict office"
        assert translation.gettext("街长") == "Street chief"  # the road sense keeps "street"
    bare = []
    for path in LOCALES.glob("*/templates/**/*.html"):
        bare += [f"{path}: {line.strip()}" for line in path.read_text(encoding="utf-8").splitlines() if '{% trans "街道" %}' in line]
    for path in LOCALES.glob("*/static/**/*.js"):
        bare += [f"{path}: {line.strip()}" for line in path.read_text(encoding="utf-8").splitlines() if 'gettext("街道")' in line and "pgettext" not in line]
    for path in LOCALES.glob("*/models.py"):
        bare += [f"{path}: {line.strip()}" for line in path.read_text(encoding="utf-8").splitlines() if '_("街道")' in line]
    assert not bare, "街道 without its context:\n" + "\n".join(bare)
