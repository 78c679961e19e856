"""The second factor: TOTP (RFC 6238) with recovery codes (GB/T 22239-2019 8.1.4.1 d: 两种或两种以上
组合的鉴别技术).

Roles in TWO_FACTOR_ROLES must pass it at every sign-in. The QR code that enrols an
authenticator app is drawn here as SVG (qrcode), so the secret never leaves the server for a
third-party image service. Recovery codes are shown once and stored as password hashes.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Invalid

from .models import AccountSecurity

RECOVERY_CODES = 10
STEP = 30


def security_of(user) -> AccountSecurity:
    sec, _ = AccountSecurity.objects.get_or_create(user=user)
    return sec


def required(user) -> bool:
    from . import policy

    roles = set(settings.TWO_FACTOR_ROLES)
    return bool(roles) and policy.principal(user).has(roles)


def begin_enrolment(user) -> AccountSecurity:
    """A fresh secret, not yet confirmed; an enrolled factor is replaced only after confirmation."""
    sec = security_of(user)
    if not sec.totp_enabled:
        sec.totp_secret = pyotp.random_base32()
        sec.save(update_fields=["totp_secret"])
    return sec


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=settings.TWO_FACTOR_ISSUER)


def qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return img.to_string(encoding="unicode")


def _totp_step(secret: str, code: str, after_step: int) -> int | None:
    """The time step the code belongs to (±1 step of drift), if valid and newer than after_step."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // STEP
    for step in (now_step, now_step - 1, now_step + 1):
        if step > after_step and secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def confirm_enrolment(user, code: str) -> list[str]:
    """The code from the app proves it holds the secret; returns the recovery codes (shown once)."""
    with transaction.atomic():
        sec = AccountSecurity.objects.select_for_update().get(user=user)
        if not sec.totp_secret:
            raise Invalid("请先开始绑定", code="mfa_not_started")
        step = _totp_step(sec.totp_secret, code, sec.totp_last_step)
        if step is None:
            raise Invalid("动态验证码不正确，请核对手机时间后重试", code="bad_otp")
        codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
        sec.recovery_codes = [make_password(c) for c in codes]
        sec.totp_confirmed_at = timezone.now()
        sec.totp_last_step = step
        sec.save()
        audit.action(user, "mfa_enrol", otype="auth.user", object_repr=user.get_username())
    return codes


def verify(user, code: str) -> str | None:
    """'totp' or 'recovery' when the code is good (a recovery code is used up), else None."""
    with transaction.atomic():
        sec = AccountSecurity.objects.select_for_update().filter(user=user).first()
        if sec is None or not sec.totp_enabled:
            return None
        step = _totp_step(sec.totp_secret, code, sec.totp_last_step)
        if step is not None:
            sec.totp_last_step = step
            sec.save(update_fields=["totp_last_step"])
            return "totp"
        plain = (code or "").strip().replace(" ", "").replace("-", "")
        if len(plain) == 10 and plain.isdigit():
            for i, hashed in enumerate(sec.recovery_codes):
                if check_password(plain, hashed):
                    sec.recovery_codes = sec.recovery_codes[:i] + sec.recovery_codes[i + 1:]
                    sec.save(update_fields=["recovery_codes"])
                    audit.action(user, "mfa_recovery_code_used", otype="auth.user", object_repr=user.get_username(),
                                 after={"remaining": len(sec.recovery_codes)})
                    return "recovery"
    return None


def reset(actor: Any, user) -> None:
    """Remove a person's second factor (lost phone); they enrol again at next sign-in. Audited."""
    from . import policy
    from . import roles as R

    if actor is not None:
        policy.require_role(actor, {R.SECURITY_ADMIN}, "只有安全管理员可以重置双因素认证")
    with transaction.atomic():
        sec = security_of(user)
        sec.totp_secret, sec.totp_confirmed_at, sec.recovery_codes, sec.totp_last_step = "", None, [], 0
        sec.save()
        audit.action(user, "mfa_reset", otype="auth.user", object_repr=user.get_username())
