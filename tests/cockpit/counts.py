"""How a list exposes its count, for the check that a number on a panel or a home page equals
the list it links to: a list page marks one element with ``data-count="N"`` (the number of rows
across all its pages); an API list answers ``{"count": N, …}``."""
from __future__ import annotations

import re

COUNT = re.compile(r'data-count="(\d+)"')


def list_count(client, url: str) -> int:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    if r["Content-Type"].startswith("application/json"):
        return r.json()["count"]
    found = COUNT.findall(r.content.decode())
    assert len(found) == 1, f"{url}: expected one data-count, found {found}"
    return int(found[0])
