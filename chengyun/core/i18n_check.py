"""Find English words a page shows to a reader of the Chinese interface.

A Chinese page may still carry Latin text on purpose: codes, file columns and commands set in
``<code>``/``<kbd>``/``<pre>``/``<samp>``, data in a ``<textarea>``, anything marked
``translate="no"`` (the HTML attribute for "an identifier, leave it as it is"), text in an element
with another ``lang`` (the language switcher's "English"), and proper names of formats and
standards (``PROPER_NAMES``). Everything else in Latin letters is a string someone forgot to
translate. Used by the test suite and by ``chengyun i18n-check`` over a real database.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

# Names that are the same in Chinese text: formats, products, standards, units.
PROPER_NAMES = frozenset("""
Excel Word PDF CSV JSON GeoJSON Shapefile GPX KML ZIP XML HTML API OpenAPI Open311 GeoReport
HJ GB GBT CJJ CRC Modbus MQTT TCP QoS MN QN ST CN PW IP URL HTTP HTTPS TOTP SM4 AES EXIF GPS GPR CCTV
WGS84 CGCS2000 GCJ BD Leaflet ECharts HTMX Django
Google Microsoft Authenticator FreeOTP
COD BOD pH DO NH TP TN SS DWF PPM
mg μg km kg cm mm ha tce kWh kVA MB KB GB
GBK UTF LineString Point Polygon MultiPolygon MultiLineString FeatureCollection
""".split())

# A word with two lower-case letters, not glued to digits: codes (PK03-G1400, RDH0503, OPS, DN300)
# and chemical symbols (Hg, pH) are not words a translator forgot.
_WORD = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]*[a-z][A-Za-z]*[a-z][A-Za-z]*(?![0-9A-Za-z])")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
_LITERAL = frozenset({"code", "kbd", "pre", "samp", "textarea", "script", "style", "template", "svg"})


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its text exempt?
        self.texts: list[str] = []
        self.links: list[str] = []

    def _exempt(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        exempt = (self._exempt() or tag in _LITERAL or a.get("translate") == "no"
                  or (a.get("lang") or "zh").lower()[:2] not in ("zh", ""))
        if not exempt:
            for name in ("title", "placeholder", "aria-label", "alt"):
                if a.get(name):
                    self.texts.append(a[name] or "")
            if tag == "input" and (a.get("type") or "") in ("submit", "button", "reset") and a.get("value"):
                self.texts.append(a["value"] or "")
        if tag not in _VOID:
            self.stack.append(exempt)

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._exempt():
            self.texts.append(data)


def english_words(html: str) -> set[str]:
    """English words a reader sees that are not proper names."""
    reader = _Reader()
    reader.feed(html)
    return {w for text in reader.texts for w in _WORD.findall(text) if w not in PROPER_NAMES}


def links(html: str) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    return reader.links


def crawl(client, start: str = "/", *, max_pages: int = 400, per_view: int = 2) -> dict[str, set[str]]:
    """Follow same-site links from `start` with a logged-in test client (at most `per_view` pages
    per view, no exports or logout) and return {english word: pages showing it}."""
    from django.urls import Resolver404, resolve

    found: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    counted: dict[str, int] = defaultdict(int)
    queue = [start]
    while queue and len(seen) < max_pages:
        url = queue.pop(0)
        if url in seen or not url.startswith("/") or url.startswith("//"):
            continue
        seen.add(url)
        path = url.split("?")[0]
        if path.startswith(("/api/", "/static/", "/media/", "/logout", "/jsi18n", "/open311/")) or re.search(r"(export|download|docx|xlsx|csv)", url):
            continue
        try:
            view = resolve(path).view_name
        except Resolver404:
            continue
        if counted[view] >= per_view:
            continue
        counted[view] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for word in english_words(html):
            found[word].add(url)
        queue += [link.split("#")[0] for link in links(html)]
    return dict(found)
