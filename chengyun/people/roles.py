"""The roles of the district's urban-operations work, as fixed codes the policy refers to."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DISTRICT_LEADER = "district_leader"
OPS_ACCEPTOR = "ops_acceptor"
OPS_SHIFT_LEADER = "ops_shift_leader"
OPS_DISPATCHER = "ops_dispatcher"
DEPT_HANDLER = "dept_handler"
STREET_CHIEF = "street_chief"
COMMUNITY_GRID_WORKER = "community_grid_worker"
OPS_GRID_WORKER = "ops_grid_worker"
DRONE_OPERATOR = "drone_operator"
RIVER_CHIEF = "river_chief"
AUDITOR = "auditor"
SYSADMIN = "sysadmin"
SECURITY_ADMIN = "security_admin"
# The village fund's two local roles: the village committee's cadre applies for its own village,
# the street (town) office's officer does the 镇(街道)初审 for the villages of its street.
VILLAGE_CADRE = "village_cadre"
STREET_OFFICER = "street_officer"

ROLE_NAMES = {
    DISTRICT_LEADER: _("区领导"),
    OPS_ACCEPTOR: _("受理员"),
    OPS_SHIFT_LEADER: _("值班长"),
    OPS_DISPATCHER: _("派遣员"),
    DEPT_HANDLER: _("部门处置人员"),
    STREET_CHIEF: _("街长"),
    COMMUNITY_GRID_WORKER: _("社区网格员"),
    OPS_GRID_WORKER: _("城运中心网格员（监督员）"),
    DRONE_OPERATOR: _("无人机飞手"),
    RIVER_CHIEF: _("河长"),
    AUDITOR: _("审计员"),
    SYSADMIN: _("系统管理员"),
    SECURITY_ADMIN: _("安全管理员"),
    VILLAGE_CADRE: _("村干部"),
    STREET_OFFICER: _("街道（镇）工作人员"),
}
ALL_ROLES = frozenset(ROLE_NAMES)

# The ops center and the district's leadership see the whole district; everyone else
# sees what lies in their area (定人定片区) or belongs to their unit.
OPS_CENTER = frozenset({OPS_ACCEPTOR, OPS_SHIFT_LEADER, OPS_DISPATCHER})
DISTRICT_WIDE = frozenset({DISTRICT_LEADER, AUDITOR, SYSADMIN}) | OPS_CENTER
AREA_BOUND = frozenset({STREET_CHIEF, COMMUNITY_GRID_WORKER, OPS_GRID_WORKER, DRONE_OPERATOR, RIVER_CHIEF, VILLAGE_CADRE, STREET_OFFICER})
UNIT_BOUND = frozenset({DEPT_HANDLER})

# 三员 (GB/T 22239-2019 level 3): the system administrator runs the system, the security
# administrator runs accounts' security (locks, sessions, second factors), the auditor reads
# the audit log. One person holds at most one of them unless CHENGYUN_ALLOW_COMBINED_ADMIN_ROLES.
THREE_ADMINS = frozenset({SYSADMIN, SECURITY_ADMIN, AUDITOR})
