"""How an audit entry reads to a person: the audit log stores machine names (``cli``,
``drainage.renovationplan``, ``import_network``, field names) so that it stays stable across
languages and releases; the page shows them in the reader's language.

Workflow apps register their transitions' labels (``register_verbs``) from ``ready()``, so a new
transition is named where it is declared and nowhere else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

# Where a change came from (core.current.acting's `source`, and the case sources that act as one).
SOURCES = {
    "web": _("网页"),
    "api": _("接口"),
    "cli": _("命令行"),
    "job": _("后台任务"),
    "system": _("系统"),
    "device": _("设备"),
    "sensor": _("传感器"),
    "drone": _("无人机"),
    "hotline": _("12345 热线"),
    "public": _("公众"),
    "superior": _("上级交办"),
    "rectification": _("整改督办"),
    "ops_grid_worker": _("城运中心网格员"),
}

# Named operations that are not a workflow transition (those register from their app).
VERBS: dict[str, Any] = {
    "login": _("登录"),
    "logout": _("退出"),
    "demo": _("生成演示数据"),
    "demo_generate": _("生成演示数据"),
    "import": _("导入"),
    "import_boundaries": _("导入边界"),
    "import_catalogue": _("导入案件分类"),
    "load_seed_catalogue": _("载入内置案件分类"),
    "import_drone_flight": _("导入无人机巡查"),
    "import_hotline": _("导入 12345 热线工单"),
    "import_lab_results": _("导入实验室数据"),
    "import_network": _("导入管网"),
    "import_inspections": _("导入管道检测"),
    "import_segments": _("导入道路路段"),
    "import_tasks": _("导入督办任务"),
    "add_sources": _("登记污染源"),
    "set_contacts": _("修改联系人"),
    "link_device": _("关联设备"),
    "record_surveyed": _("登记已排查路段"),
    "recompute_risk": _("重算塌陷风险"),
    "record_progress": _("填报进度"),
    "record_meeting": _("记录会议"),
    "detect_misconnections": _("识别混接错接"),
    "make_plan": _("编制改造计划"),
    "generate_report": _("生成报告"),
    "set_report_schedule": _("设置报告定时计划"),
    "set_notification_preference": _("设置通知偏好"),
    "complete_milestone": _("完成节点"),
    "supervise": _("督办"),
    "treat": _("处置隐患"),
    "assign": _("指派"),
    "dismiss": _("排除"),
    "handover": _("移交"),
    "reappoint": _("重新任命"),
    "end_appointment": _("结束任命"),
    "merge_duplicate": _("合并重复案件"),
    "move": _("移动位置"),
    "open_case": _("转为案件"),
    "open_task": _("转为督办任务"),
    "reopen": _("重新打开"),
    "repeat": _("重复上报"),
    "report": _("上报"),
    "revoke": _("撤销"),
    "finish": _("结束"),
    "cancel": _("取消"),
    "accept": _("确认通过"),
    "anonymize_reporters": _("匿名化举报人信息"),
    "audit_export": _("导出审计日志"),
    "audit_purge": _("清理过期审计记录"),
    "close": _("关闭"),
    "compute": _("计算"),
    "create": _("新建"),
    "encrypt_personal_data": _("加密个人信息"),
    "encrypt_exchange_secrets": _("加密数据交换密钥"),
    "from_alert": _("由告警生成"),
    "generate_problems": _("生成体检问题"),
    "import_layer": _("导入图层"),
    "import_measurements": _("导入指标值"),
    "link_compounds": _("关联小区"),
    "load_national": _("载入国家基本指标"),
    "lock": _("锁定账号"),
    "login_failed": _("登录失败"),
    "mediate": _("调解"),
    "mfa_enrol": _("绑定动态口令"),
    "mfa_failed": _("动态口令错误"),
    "mfa_recovery_code_used": _("使用恢复码"),
    "mfa_reset": _("重置动态口令"),
    "mfa_verified": _("动态口令验证通过"),
    "move_reason": _("移动位置的原因"),
    "password_change": _("修改密码"),
    "password_reset": _("重置密码"),
    "record_votes": _("登记表决"),
    "rejudge_target": _("按新目标重新评价"),
    "rejudge_target_queued": _("排队按新目标重新评价"),
    "replace_features": _("替换图层要素"),
    "return": _("退回"),
    "reveal_personal_data": _("查看个人信息"),
    "session_revoke": _("注销会话"),
    "session_timeout": _("会话超时"),
    "set_funding": _("设置资金"),
    "set_owners": _("登记业主"),
    "set_targets": _("设置年度目标"),
    "start_publicity": _("开始公示"),
    "to_key_task": _("转为督办任务"),
    "token_failed": _("令牌验证失败"),
    "unlock": _("解锁账号"),
    "resolve_objection": _("处理公示异议"),
    "verify_progress": _("核实项目进度"),
    "rectify": _("确认整改"),  # property: a serious credit record rectified
    "configure": _("调整评价方案"),  # property: the credit scheme
    "import_track": _("导入轨迹"),
    "apply": _("提交申请"),  # streets: an outdoor-dining permit applied for
    "close_assignment": _("结束路段责任"),  # streets: a chief's assignment to a segment ended
    "rescore": _("更正评分"),
    "default_plan": _("按道路等级生成机扫计划"),
    "enrol": _("纳入分类或示范片区"),
}

_BY_MODEL: dict[str, dict[str, Any]] = {}


def register_verbs(model_label: str, labels: dict[str, Any]) -> None:
    """A workflow's transitions by action name (``{"dispose": "处置完毕"}``) for one model
    (``"water.alert"``): the audit page names them in the reader's language."""
    _BY_MODEL.setdefault(model_label.lower(), {}).update(labels)


def verb_label(object_type: str, verb: str) -> Any:
    """The verb's label, or "" when nobody named it (the page then shows only the action)."""
    if not verb:
        return ""
    return _BY_MODEL.get(object_type, {}).get(verb) or VERBS.get(verb, "")


def source_label(source: str) -> Any:
    return SOURCES.get(source, source)


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> Any:
    model = _model(object_type)
    return model._meta.verbose_name if model is not None else object_type


def _field(model, name: str):
    if model is None or not name:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def object_types() -> list[tuple[str, Any]]:
    """Every model of the platform's apps as (label, verbose name), for the audit search."""
    return sorted(((m._meta.label_lower, m._meta.verbose_name) for m in apps.get_models() if m.__module__.startswith("chengyun.")),
                  key=lambda pair: pair[0])


def field_label(model, name: str) -> Any:
    field = _field(model, name)
    return getattr(field, "verbose_name", None) or _EXTRA_KEYS.get(name, name)


def _value(field, value: Any) -> Any:
    """A stored choice (``"acknowledged"``) reads as its label (已确认); nothing reads as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else None
    if choices is not None and isinstance(value, (str, int)) and value in choices:
        return choices[value]
    return value


# Keys that services put into before/after beside model fields.
_EXTRA_KEYS = {
    "note": _("说明"), "reason": _("原因"), "state": _("状态"), "status": _("状态"), "count": _("数量"),
    "segments": _("路段"), "pipes": _("管段"), "detections": _("识别数"), "rows": _("行数"),
    "created": _("新建"), "updated": _("修改"), "file": _("文件"), "filename": _("文件"),
}


@dataclass(frozen=True)
class Change:
    label: Any
    before: Any
    after: Any

    @property
    def label_is_code(self) -> bool:
        """An internal field nobody named in Chinese: shown as the identifier it is."""
        return str(self.label).isascii()

    @property
    def before_is_data(self) -> bool:
        return _is_data(self.before)

    @property
    def after_is_data(self) -> bool:
        return _is_data(self.after)


def _is_data(value: Any) -> bool:
    """Structures and machine keys (``dwf:PK06``, ``rain_to_sewage``) are shown as data, not prose."""
    if isinstance(value, (dict, list)):
        return True
    return isinstance(value, str) and value.isascii() and not any(c.isspace() for c in value) and any(c.islower() for c in value)


def changes(entry) -> list[Change]:
    """The entry's before/after as (field label, before, after) rows, in field order."""
    model = _model(entry.object_type)
    before = entry.before if isinstance(entry.before, dict) else ({} if entry.before is None else {"": entry.before})
    after = entry.after if isinstance(entry.after, dict) else ({} if entry.after is None else {"": entry.after})
    keys = list(dict.fromkeys([*before, *after]))
    out = []
    for k in keys:
        field = _field(model, k)
        out.append(Change(field_label(model, k) if k else "", _value(field, before.get(k, "")), _value(field, after.get(k, ""))))
    return out


_DEFAULT_REPR = re.compile(r"^\w+ object \((.*)\)$")


def object_repr(entry) -> str:
    """Django's default ``Foo object (3)`` for a model without a name of its own reads as 冒溢记录 #3."""
    found = _DEFAULT_REPR.match(entry.object_repr or "")
    return f"{object_type_label(entry.object_type)} {found.group(1)}" if found else entry.object_repr


@dataclass(frozen=True)
class AuditRow:
    entry: Any
    source: Any
    object_type: Any
    object_type_is_code: bool
    object_repr: str
    verb: Any
    changes: list[Change]


def rows(entries) -> list[AuditRow]:
    out = []
    for e in entries:
        otype = object_type_label(e.object_type)
        out.append(AuditRow(e, source_label(e.source), otype, str(otype).isascii(), object_repr(e), verb_label(e.object_type, e.verb), changes(e)))
    return out
