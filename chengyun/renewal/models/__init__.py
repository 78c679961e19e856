"""Models of the renewal app, one module per half: the health check (healthcheck.py, layers.py)
and the project portfolio (portfolio.py)."""
from .healthcheck import (Dimension, Indicator, IndicatorSet, Measurement, Problem, ProblemEvent, ProblemPhoto,  # noqa: F401
                          ProblemRemedy, SpatialUnit)
from .layers import FacilityKind, Feature, Layer  # noqa: F401
from .portfolio import (ChargingSite, LiftObjection, LiftOwner, LiftProject, ParkingSupply, ProgressReport, Project, ProjectAcceptance,  # noqa: F401
                        ProjectAsset, ProjectEvent, ProjectFunding, ProjectTarget, ResidentConsultation, ResidentSupervisor)
