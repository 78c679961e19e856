"""Every write of the renewal app. The public contract other code calls:

Problem ledger (services.problems)
    link_remedy(actor, problem, *, case=None, project_key=None) -> ProblemRemedy
        Link a remedy: a cases.Case, or a renewal project by key "renewal.project:<id>".
        Exactly one target (422 remedy_target), key shape checked (422 bad_project_key),
        idempotent per target; 待整改 → 整改中; 409 problem_closed when 已销号.
    accept_remedy(actor, remedy) -> ProblemRemedy
        整改验收 by the health-check office: 整改中/待整改 → 待复核. A case must be 结案; a
        project must report completed through the registered resolver. 409 otherwise.
    register_project_resolver(resolver)
        The portfolio registers resolver(key) -> None | obj(label, url, completed).
    transition(actor, problem, action, note="")
        start / close / return from renewal.workflow.TRANSITIONS; 409 bad_transition.

Computed indicators: renewal.providers.register(key, label, func(year, unit_kind) -> {code: value}).
"""
from .problems import accept_remedy, link_remedy, register_project_resolver, resolve_project, transition  # noqa: F401
