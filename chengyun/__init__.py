"""城运 Chengyun — district City Operations Center platform."""
__version__ = "0.1.0"
