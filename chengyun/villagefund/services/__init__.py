"""Every write of the village fund, re-exported: callers write ``services.transition(...)``."""
from .access import is_reviewer, reviewer_unit, visible, get_visible  # noqa: F401
from .money import (check_payment, paid_total, raise_objection, record_payment, report_progress, report_return,  # noqa: F401
                    resolve_objection, verified_percent, verify_progress)
from .projects import (allowed_actions, create_project, decision_problems, district_opinions, record_decision, today,  # noqa: F401
                       transition, update_project)
from .register import create_batch, create_village, credit_code, update_village  # noqa: F401
