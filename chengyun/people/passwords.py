"""Password policy (GB/T 22239-2019 8.1.4.1 a: 口令复杂度) and password age.

The validators are Django password validators, listed in AUTH_PASSWORD_VALIDATORS; every path
that sets a password (the person service, the change page, `changepassword`) runs them.
"""
from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CLASSES = (
    (re.compile(r"[a-z]"), "lower"),
    (re.compile(r"[A-Z]"), "upper"),
    (re.compile(r"[0-9]"), "digit"),
    (re.compile(r"[^a-zA-Z0-9]"), "symbol"),
)


def character_classes(password: str) -> int:
    return sum(1 for rx, _name in CLASSES if rx.search(password))


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower-case, upper-case, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = max(1, min(4, int(min_classes)))

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、其他符号中的至少 %(n)d 类。") % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return ngettext("密码须包含小写字母、大写字母、数字、其他符号中的至少 %(n)d 类。",
                        "密码须包含小写字母、大写字母、数字、其他符号中的至少 %(n)d 类。", self.min_classes) % {"n": self.min_classes}


class NotUsernameValidator:
    """The password is not the username, nor contains it, nor is it reversed."""

    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if len(username) < 3:
            return
        low, name = password.lower(), username.lower()
        if name in low or name[::-1] in low:
            raise ValidationError(_("密码不能包含登录名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含登录名。")


def password_expired(security, user, now: dt.datetime | None = None) -> bool:
    """True when CHENGYUN_PASSWORD_MAX_AGE_DAYS is set and the password is older than that
    (an account that never changed it counts from when it was created)."""
    days = getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0)
    if not days:
        return False
    changed = (security.password_changed_at if security is not None else None) or user.date_joined
    return (now or timezone.now()) - changed > dt.timedelta(days=days)


def generate(length: int = 14) -> str:
    """A random first password that passes the policy: every character class at least once."""
    import secrets
    import string

    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%+-=?@_"]
    rng = secrets.SystemRandom()
    chars = [rng.choice(p) for p in pools] + [rng.choice("".join(pools)) for _ in range(max(length, 8) - len(pools))]
    rng.shuffle(chars)
    return "".join(chars)
