"""Case photos: every upload is checked before any is stored, and all are stored or none."""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from chengyun.core import audit
from chengyun.core.uploads import validated_image
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy

from .. import images, privacy, workflow
from ..models import Attachment, Case, CaseEvent
from . import clocks
from .actors import _actor_name, _person_id


def _check_upload(upload: Any) -> tuple[bytes, images.ImageInfo]:
    return validated_image(upload, field="photos")


def _without_gps(data: bytes, info: images.ImageInfo) -> tuple[bytes, images.ImageInfo]:
    if info.gps is None:
        return data, info
    stripped = privacy.strip_gps(data)
    return stripped, images.check_image(stripped, max_bytes=max(settings.UPLOAD_MAX_BYTES, len(stripped)))


def _store_attachment(case: Case, data: bytes, info: images.ImageInfo, stage: str, user: Any, at: dt.datetime) -> Attachment:
    att = Attachment(case=case, stage=stage, content_type=info.content_type, extension=info.extension, size=info.size,
                     width=info.width, height=info.height, sha256=info.sha256, uploaded_by=user if user is not None else None,
                     uploaded_at=at, gps_lng=info.gps[0] if info.gps else None, gps_lat=info.gps[1] if info.gps else None)
    att.file.save(f"{info.sha256}.{info.extension}", ContentFile(data), save=False)
    att.save()
    audit.created(att)
    return att


def add_attachments(user: Any, case: Case, uploads: Sequence[Any], stage: str = Attachment.Stage.REPORT) -> list[Attachment]:
    """Check every photo first; store them all or none."""
    if stage not in Attachment.Stage.values:
        raise Invalid("照片环节有误", code="bad_stage")
    if user is not None:
        policy.require_write(user, case)
        if case.status in workflow.TERMINAL:
            raise Conflict("案件已办结，不能再上传照片", code="case_closed")
    checked = [_check_upload(u) for u in uploads]
    at = clocks.current_time()
    with transaction.atomic():
        out = [_store_attachment(case, data, info, stage, user, at) for data, info in checked]
        if out:
            CaseEvent.objects.create(case=case, at=at, action="attach", from_status=case.status, to_status=case.status,
                                     actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user), data={"stage": stage, "count": len(out)})
    return out
