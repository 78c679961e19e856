"""Matrix declarations for /api/v1/cockpit/: the leader's cockpit reads every module's panel and is
open to the leadership, the ops center and administrators (chengyun.cockpit.access.VIEWERS); each
panel counts only what the caller may see (tests/cockpit)."""
from __future__ import annotations

from matrix import Open


def _viewers():
    from chengyun.cockpit.access import VIEWERS

    return VIEWERS


SPEC = {
    "chengyun_cockpit_api_panels": Open(gate=_viewers, query=lambda w, s, o: {"key": "cases.today"}),
}
