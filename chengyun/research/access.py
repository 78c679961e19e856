from chengyun.people import roles as R

# Who plans and leads research, and records it: the leaders and the ops centre that staffs them.
RESEARCHERS = frozenset({R.DISTRICT_LEADER, R.OPS_SHIFT_LEADER, R.SYSADMIN})
