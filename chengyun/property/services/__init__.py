"""Every write of property-management governance. The public contract other code calls:

companies: create_company, update_company (GB 32100 check digit), add_manager, set_management
    (the compound's mode goes to the shared register), record_measure (红榜/黑榜 consequences)
scoring: active_scheme, update_scheme, add_record, rectify_record, refresh, refresh_all (live grade)
coverage: open_file (建档立卡), transition (workflow.TRANSITIONS; 409 bad_transition), rates, series
assessments: assess (item maxima, survey rules; 422 naming the rule), ranking
complaints: on_case_transition, registered with cases.services.on_transition
"""
from .assessments import active_sheet, assess, ranking  # noqa: F401
from .companies import add_manager, create_company, record_measure, set_management, update_company  # noqa: F401
from .coverage import open_file, transition  # noqa: F401
from .scoring import active_scheme, add_record, rectify_record, refresh, refresh_all, update_scheme  # noqa: F401
