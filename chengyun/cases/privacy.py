"""Citizens' personal information on cases (PIPL; GB/T 22239-2019 8.1.4.11 个人信息保护).

- Reporters' phone numbers are always shown masked (138****1234); the names of citizen
  reporters (public, 12345 hotline) too (张*). Staff reporters' names are the district's own
  work records and are shown as they are.
- Seeing the full values is a deliberate POST by a role in PERSONAL_DATA_ROLES that can see the
  case; every such reveal is an audit entry (who looked at whose phone number, when, from where).
- Closed cases older than CITIZEN_DATA_RETENTION_DAYS lose their reporter's name, phone and
  contact extras (anonymize_expired, run daily and by `chengyun privacy purge`); audited.
- Uploaded photos keep their EXIF GPS only when the reporter consented (strip_gps).
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Forbidden
from chengyun.people import policy

from . import freshness, workflow
from .models import Case

# Sources whose reporters are members of the public; their names are personal information.
CITIZEN_SOURCES = frozenset({"public", "hotline"})
ANONYMIZED = "（已匿名）"
CONTACT_EXTRAS = ("email", "device_id", "account_id")


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234; shorter numbers keep only their last digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    n = len(phone)
    if n >= 8:
        return phone[:3] + "****" + phone[-4:]
    return "*" * (n - 2) + phone[-2:] if n > 2 else "*" * n


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修 → 欧**; placeholders like 公众 or 12345 来电市民 pass through."""
    name = (name or "").strip()
    if not name or name in ("公众", "市民", ANONYMIZED) or len(name) == 1:
        return name
    return name[0] + "*" * (len(name.replace(" ", "")) - 1)


def reporter_shown(case: Case) -> dict[str, str]:
    """The reporter fields as every page, API answer and export shows them."""
    name = case.reporter_name
    if case.source in CITIZEN_SOURCES:
        name = mask_name(name)
    return {"reporter_name": name, "reporter_phone": mask_phone(case.reporter_phone)}


def can_reveal(user: Any) -> bool:
    return policy.principal(user).has(settings.PERSONAL_DATA_ROLES)


def reveal(user: Any, case: Case) -> dict[str, str]:
    """The reporter's full name and phone number, recorded in the audit log as a read of
    personal data. The caller has already checked the case is visible to the user."""
    if not can_reveal(user):
        raise Forbidden("您的角色不能查看上报人的完整姓名和电话", code="personal_data_forbidden")
    audit.action(case, "reveal_personal_data", after={"fields": ["reporter_name", "reporter_phone"]})
    return {"reporter_name": case.reporter_name, "reporter_phone": case.reporter_phone}


def anonymize_expired(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Blank the reporter's name, phone and contact extras of closed cases older than the
    retention period. One audit entry per batch, naming the cases."""
    days = settings.CITIZEN_DATA_RETENTION_DAYS if days is None else days
    if not days:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    qs = (Case.objects.filter(status__in=workflow.TERMINAL, updated_at__lt=cutoff, source__in=CITIZEN_SOURCES)
          .exclude(reporter_name=ANONYMIZED, reporter_phone=""))
    done = 0
    while True:
        batch = list(qs.order_by("pk")[:500])
        if not batch:
            break
        with transaction.atomic():
            for case in batch:
                case.reporter_name, case.reporter_phone = ANONYMIZED, ""
                for key in CONTACT_EXTRAS:
                    case.extra.pop(key, None)
            Case.objects.bulk_update(batch, ["reporter_name", "reporter_phone", "extra"])
            freshness.changed()
            audit.action(None, "anonymize_reporters", otype="cases.case", object_repr=f"{len(batch)} 件",
                         after={"cases": [c.number for c in batch], "retention_days": days, "cutoff": cutoff})
        done += len(batch)
    return done


def encrypt_existing(batch: int = 1000) -> int:
    """Re-write every stored reporter phone under the current CHENGYUN_FIELD_KEY: plaintext from
    before encryption was enabled, or ciphertext under CHENGYUN_FIELD_KEY_PREVIOUS. Audited."""
    from chengyun.core import fieldcrypto

    if not fieldcrypto.enabled():
        raise ValueError("未设置 CHENGYUN_FIELD_KEY，字段加密未启用")
    done, last = 0, 0
    while True:
        rows = list(Case.objects.filter(pk__gt=last).exclude(reporter_phone="").order_by("pk").only("pk", "reporter_phone")[:batch])
        if not rows:
            break
        with transaction.atomic():
            Case.objects.bulk_update(rows, ["reporter_phone"])  # values read decrypted, written encrypted
            freshness.changed()
        done += len(rows)
        last = rows[-1].pk
    audit.action(None, "encrypt_personal_data", otype="cases.case", object_repr=f"{done} 件",
                 after={"field": "reporter_phone", "cipher": fieldcrypto.cipher(), "count": done})
    return done


# ---------------------------------------------------------------- photos


def strip_gps(data: bytes) -> bytes:
    """The photo without its EXIF GPS block (and without XMP, which can repeat it). JPEG is
    re-saved with its own quantization tables, so the picture does not visibly change."""
    from PIL import Image

    from chengyun.core.uploads import _GPS_IFD

    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        has_gps = _GPS_IFD in exif
        if not has_gps and "xmp" not in img.info and "XML:com.adobe.xmp" not in img.info:
            return data
        exif.pop(_GPS_IFD, None)
        fmt = img.format
        out = io.BytesIO()
        kwargs: dict[str, Any] = {"exif": exif.tobytes()}
        if fmt == "JPEG":
            kwargs.update(quality="keep", subsampling="keep") if img.mode in ("RGB", "L", "CMYK") else kwargs.update(quality=95)
        elif fmt == "WEBP":
            kwargs.update(lossless=bool(img.info.get("lossless")), quality=95)
        img.save(out, format=fmt, **kwargs)
    return out.getvalue()
