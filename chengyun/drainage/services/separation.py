"""Rain–sewage separation projects (雨污分流): the pipes each covers and their progress by length."""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from django.db import transaction
from django.db.models import Q, Sum

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy

from ..models import Pipe, ProjectPipe, SeparationProject


def create_project(user: Any, *, code: str, name: str, pipe_codes: Sequence[str], unit: Any = None,
                   street: Any = None, due_on: dt.date | None = None) -> SeparationProject:
    if user is not None:
        policy.require_create(user, SeparationProject, unit_id=getattr(unit, "pk", None), message="只有实施单位人员可以新建雨污分流项目")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("项目编号和名称不能为空", code="missing_fields")
    if SeparationProject.objects.filter(code=code).exists():
        raise Conflict(f"项目编号 {code} 已存在", code="duplicate_code")
    pipes = dict(Pipe.objects.filter(code__in=list(pipe_codes)).values_list("code", "id"))
    missing = [c for c in pipe_codes if c not in pipes]
    if missing:
        raise Invalid(f"管段不存在：{'、'.join(missing[:10])}", code="unknown_pipe", detail={"missing": missing})
    with transaction.atomic():
        project = SeparationProject.objects.create(code=code, name=name, unit=unit, street=street, due_on=due_on,
                                                   status=SeparationProject.Status.ACTIVE)
        ProjectPipe.objects.bulk_create([ProjectPipe(project=project, pipe_id=pipes[c]) for c in dict.fromkeys(pipe_codes)])
        audit.created(project)
    return project


def record_progress(user: Any, project: SeparationProject, pipe_codes: Sequence[str], *, done_on: dt.date) -> dict[str, float]:
    """Mark pipes of the project finished; the project is done when all its length is."""
    if user is not None:
        policy.require_write(user, project, "只有实施单位人员可以填报进度")
    links = {pp.pipe.code: pp for pp in project.project_pipes.select_related("pipe")}
    missing = [c for c in pipe_codes if c not in links]
    if missing:
        raise Invalid(f"管段不属于该项目：{'、'.join(missing[:10])}", code="not_in_project", detail={"missing": missing})
    with transaction.atomic():
        before = project_progress(project)
        changed = [links[c] for c in pipe_codes if links[c].done_on is None]
        for pp in changed:
            pp.done_on = done_on
        ProjectPipe.objects.bulk_update(changed, ["done_on"])
        after = project_progress(project)
        if after["done_m"] >= after["total_m"] - 1e-6 and project.status != SeparationProject.Status.DONE:
            project.status = SeparationProject.Status.DONE
            project.save(update_fields=["status"])
        audit.action(project, "record_progress", before=before, after=after | {"pipes": list(pipe_codes)})
    return after


def project_progress(project: SeparationProject) -> dict[str, float]:
    agg = project.project_pipes.aggregate(total=Sum("pipe__length_m"), done=Sum("pipe__length_m", filter=Q(done_on__isnull=False)))
    total, done = agg["total"] or 0.0, agg["done"] or 0.0
    return {"total_m": round(total, 1), "done_m": round(done, 1), "ratio": round(done / total, 4) if total else 0.0}
