"""Models of the renewal app, one module per half: the health check (healthcheck.py, layers.py)
and the project portfolio (portfolio.py)."""
from .healthcheck import (Dimension, Indicator, IndicatorSet, Measurement, Problem, ProblemEvent, ProblemPhoto,  # noqa: F401
                          ProblemRemedy, SpatialUnit)
from .layers import FacilityKind, Feature, Layer  # noqa: F401
