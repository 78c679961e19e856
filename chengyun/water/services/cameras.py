"""Visual monitoring of outfalls: cameras registered on an outfall, and the snapshots a camera
(with its own account's API token) or the ops center uploads."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core.uploads import validated_image
from chengyun.core import audit
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.people import policy

from ..evaluation import SHANGHAI
from ..models import Camera, Outfall, Snapshot
from .checks import OPS, clean_code, clean_text, require_ops, require_registry_admin


def create_camera(user: Any, *, code: str, name: str, outfall: Outfall, account=None, active: bool = True) -> Camera:
    require_ops(user, Camera)
    code = clean_code(code, "监控点")
    name = clean_text(name, "监控点名称", "name", 100)
    _check_camera_account(account)
    if Camera.objects.filter(code=code).exists():
        raise Conflict(f"监控点编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        camera = Camera.objects.create(code=code, name=name, outfall=outfall, account=account, active=bool(active))
        audit.created(camera)
    return camera


ALLOWED_IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


def upload_snapshot(user: Any, camera_code: str, *, image, taken_at: dt.datetime | None = None, note: str = "") -> Snapshot:
    """A camera (authenticated with its own account's token) or the ops center stores a snapshot."""
    camera = Camera.objects.select_related("outfall").filter(code=camera_code, active=True).first()
    if camera is None:
        raise NotFound(f"监控点 {camera_code} 不存在或已停用")
    # The camera's own account, the ops center, or the system (user None, e.g. an importer).
    if user is not None and camera.account_id != user.pk and not policy.principal(user).has(OPS):
        # A camera the caller cannot see looks missing (404), as every out-of-scope record does;
        # a 403 here would tell them it exists.
        if not policy.can_read(user, camera):
            raise NotFound(f"监控点 {camera_code} 不存在或已停用")
        raise Forbidden("该令牌不属于此监控点", code="wrong_device")
    if image is None:
        raise Invalid("缺少图片文件", code="missing_fields", detail={"field": "image"})
    _data, info = validated_image(image, field="image")
    taken_at = taken_at or timezone.now()
    if timezone.is_naive(taken_at):
        raise Invalid("拍摄时间须带时区", code="invalid_time", detail={"field": "taken_at"})
    with transaction.atomic():
        snap = Snapshot(camera=camera, outfall=camera.outfall, taken_at=taken_at, note=note[:200])
        snap.image.save(f"{camera.code}-{taken_at.astimezone(SHANGHAI):%Y%m%d%H%M%S}.{info.extension}", image, save=False)
        snap.save()
        audit.created(snap)
    return snap



def _check_camera_account(account) -> None:
    if account is not None and not account.is_active:
        raise Invalid(f"账号 {account.get_username()} 已停用", code="account_inactive", detail={"field": "account"})


def update_camera(user: Any, camera: Camera, **changes: Any) -> Camera:
    """Move a camera to another outfall, change the account whose API token uploads its
    snapshots (None: only the ops center may upload), rename it, or switch it on or off.
    Snapshots already taken stay with the outfall they show."""
    require_registry_admin(user, camera)
    unknown = set(changes) - {"name", "outfall", "account", "active"}
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        camera = Camera.objects.select_for_update().get(pk=camera.pk)
        before = audit.snapshot(camera)
        if "name" in changes:
            camera.name = clean_text(changes["name"], "监控点名称", "name", 100)
        if "outfall" in changes:
            if changes["outfall"] is None:
                raise Invalid("监控点必须挂在一个排污口上", code="missing_fields", detail={"field": "outfall"})
            camera.outfall = changes["outfall"]
        if "account" in changes:
            _check_camera_account(changes["account"])
            camera.account = changes["account"]
        if "active" in changes:
            camera.active = bool(changes["active"])
        camera.save()
        audit.updated(camera, before)
    return camera

