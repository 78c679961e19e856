"""Who may see and manage monitoring devices and their data (registered with people.policy)."""
from __future__ import annotations

from chengyun.people import policy
from chengyun.people import roles as R

# The ops center registers and configures devices (and the system administrator).
DEVICE_MANAGERS = R.OPS_CENTER | {R.SYSADMIN}
# Everyone who works on an area reads monitoring data; devices carry no area of their own
# (a river crosses streets), so reading is district-wide for these roles.
DEVICE_READERS = R.DISTRICT_WIDE | R.AREA_BOUND
# Raw frames and refusals show device passwords and traffic: managers and auditors only.
TRAFFIC_READERS = DEVICE_MANAGERS | {R.AUDITOR}


def register() -> None:
    from .models import Device, IngestLog, RawFrame, Reading

    data = policy.Rule(read=DEVICE_READERS, wide_read=DEVICE_READERS, wide_write=DEVICE_MANAGERS)
    policy.register(Device, data)
    policy.register(Reading, data)
    traffic = policy.Rule(read=TRAFFIC_READERS, wide_read=TRAFFIC_READERS, wide_write=frozenset())
    policy.register(RawFrame, traffic)
    policy.register(IngestLog, traffic)
