"""Matrix declarations for /api/v1/people/security/: sessions, lockouts, the audit log's
export and verification. None of these is about an object in an area or unit: they are gated by
the role sets the module itself declares (security_api.SECURITY_ROLES, the audit log's readers)."""
from __future__ import annotations

from matrix import Open
from chengyun.people import policy
from chengyun.people.security_api import SECURITY_ROLES


def _audit_readers():
    from chengyun.core.models import AuditEntry

    return policy.rule_for(AuditEntry).wide_read


def stranger(world, scope):
    """Someone outside the matrix whose sessions and lockout the security admin manages."""
    def make():
        from django.contrib.auth import get_user_model

        return get_user_model().objects.create_user(username="m_stranger", password="x-Matrix-2026!")

    return world.once(("stranger",), make)


def stranger_session(world, scope):
    def make():
        from django.utils import timezone

        from chengyun.people.models import UserSession

        now = timezone.now()
        return UserSession.objects.create(session_key="matrix-stranger-session", user=stranger(world, scope), user_agent="矩阵",
                                          created_at=now, last_seen_at=now)

    return world.once(("stranger_session",), make)


def lock(world, scope):
    def make():
        from django.utils import timezone

        from chengyun.people.models import Lockout

        now = timezone.now()
        return Lockout.objects.create(kind=Lockout.Kind.ACCOUNT, subject="m_stranger", failures=5, window_start=now,
                                      last_failure_at=now, locked_until=now + timezone.timedelta(hours=1))

    return world.once(("lock",), make)


class OthersObject(Open):
    """Someone else's session: the security admin ends it; to anyone else it does not exist
    (404, like an object out of sight, never 403 — its id says nothing)."""

    def expected(self, role, scope):
        return "2xx" if role in self.gate_roles() else "404"


USER_PATH = lambda u: {"username": u.username}  # noqa: E731

SPEC = {
    "chengyun_people_security_api_my_sessions": Open(),
    "chengyun_people_security_api_revoke_session": OthersObject(gate=SECURITY_ROLES, make=stranger_session,
                                                                path=lambda s: {"session_id": s.pk}),
    "chengyun_people_security_api_user_sessions": Open(gate=SECURITY_ROLES, make=stranger, path=USER_PATH),
    "chengyun_people_security_api_revoke_user_sessions": Open(gate=SECURITY_ROLES, make=stranger, path=USER_PATH),
    "chengyun_people_security_api_lockouts": Open(gate=SECURITY_ROLES),
    "chengyun_people_security_api_unlock": Open(gate=SECURITY_ROLES, make=lock, path=lambda lk: {"lock_id": lk.pk}),
    "chengyun_people_security_api_audit_export": Open(gate=_audit_readers),
    "chengyun_people_security_api_audit_verify": Open(gate=_audit_readers),
}
