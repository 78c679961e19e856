"""Every write of the watershed module goes through a function here: policy check, write, audit entry.

``watersheds`` (registry, boundaries, measures, the indicator sheet and its verdict), ``sediment``
(sediment and runoff from the outlet's readings, or entered), ``erosion`` (soil-disturbing projects,
checks, escalation, drone findings), ``exchange`` (the cross-boundary exchange and joint incidents),
``demotasks`` (the demonstration target sheet).
"""
from . import demotasks, erosion, exchange, sediment, watersheds

__all__ = ["watersheds", "sediment", "erosion", "exchange", "demotasks"]
