"""Every write of the street module goes through one function here (policy, write, audit)."""
from . import compliance, meetings, night, patrols, permits, segments  # noqa: F401
