"""Visual monitoring of outfalls: cameras (list, register, edit) and the snapshots they upload."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from django.contrib.auth import get_user_model
from django.db.models import Count
from ninja import File, Form, Query, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy
from chengyun.people.lookup import referenced

from .. import services
from ..filters import CameraFilter
from ..models import Camera, Outfall
from .common import changed_fields, router


class SnapshotOut(Schema):
    id: int
    camera: str
    outfall: str
    taken_at: dt.datetime
    url: str


@router.post("/cameras/{code}/snapshots", response={201: SnapshotOut}, summary="上传抓拍（摄像机以其账号的 API 令牌认证）")
def upload_snapshot(request, code: str, image: UploadedFile = File(...), taken_at: Optional[dt.datetime] = Form(None), note: str = Form("")):
    s = services.upload_snapshot(request.user, code, image=image, taken_at=taken_at, note=note)
    return Status(201, {"id": s.pk, "camera": s.camera.code, "outfall": s.outfall.code, "taken_at": s.taken_at, "url": f"/water/snapshots/{s.pk}/image"})


class CameraOut(Schema):
    code: str
    name: str
    outfall: str
    outfall_name: str
    account: Optional[str] = None
    active: bool
    snapshots: int


class CameraIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    outfall: str = Field(..., description="排污口编码")
    account: Optional[str] = Field(None, description="上传抓拍所用 API 令牌的账号（登录名）")
    active: bool = True


class CameraPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    outfall: Optional[str] = None
    account: Optional[str] = Field(None, description="账号登录名；null 解除（只有城运中心能代传）")
    active: Optional[bool] = None


def camera_out(c: Camera) -> dict[str, Any]:
    n = c.n_snapshots if hasattr(c, "n_snapshots") else c.snapshots.count()
    return {"code": c.code, "name": c.name, "outfall": c.outfall.code, "outfall_name": c.outfall.name,
            "account": c.account.get_username() if c.account_id else None, "active": c.active, "snapshots": n}


def _outfall(code: Optional[str]) -> Outfall:
    return referenced(Outfall.objects, code, what="排污口", field="outfall", lookup="code", optional=False)


def _account(username: Optional[str]):
    return referenced(get_user_model().objects, username, what="账号", field="account", lookup="username")


def _camera_qs():
    return Camera.objects.select_related("outfall", "account").annotate(n_snapshots=Count("snapshots")).order_by("code")


@router.get("/cameras", response=Page[CameraOut], summary="视频监控点")
def cameras(request, filters: CameraFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, _camera_qs())).distinct(), page, camera_out)


@router.post("/cameras", response={201: CameraOut}, summary="登记视频监控点（城运中心）")
def create_camera(request, body: CameraIn):
    c = services.create_camera(request.user, code=body.code, name=body.name, outfall=_outfall(body.outfall), account=_account(body.account),
                            active=body.active)
    return Status(201, camera_out(_camera_qs().get(pk=c.pk)))


@router.patch("/cameras/{code}", response=CameraOut, summary="修改监控点：排污口、抓拍账号、启用（城运中心）")
def patch_camera(request, code: str, body: CameraPatch):
    c = policy.get_visible(request.user, _camera_qs(), code=code)
    changes = changed_fields(body)
    if "outfall" in changes:
        changes["outfall"] = _outfall(changes["outfall"])
    if "account" in changes:
        changes["account"] = _account(changes["account"])
    if "active" in changes and changes["active"] is None:
        raise Invalid("active 不能为 null", code="invalid_field", detail={"field": "active"})
    services.update_camera(request.user, c, **changes)
    return camera_out(_camera_qs().get(pk=c.pk))
