from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class SanitationConfig(AppConfig):
    name = "chengyun.sanitation"
    label = "sanitation"
    url_prefix = "sanitation"
    verbose_name = _("环卫保洁")
    api_router = "chengyun.sanitation.api.router"
    # /api/v1/sanitation/: the streets module owns /api/v1/streets/ and its token scope family.
    api_prefix = "sanitation"
    demo_generator = "chengyun.sanitation.demo.generate"
    demo_order = 64  # after roads (58): the segments are swept
    nav = [
        NavItem(_("机扫覆盖"), "sanitation:coverage", order=50, group="cityops"),
        NavItem(_("保洁质量检查"), "sanitation:inspections", order=51, group="cityops"),
        NavItem(_("环卫示范街"), "sanitation:demo_streets", order=52, group="cityops"),
    ]
    cockpit_panels = [CockpitPanel("sanitation.sweeping", _("环卫保洁"), "chengyun.sanitation.cockpit.sweeping", order=60)]

    def ready(self) -> None:
        from chengyun.core import audit
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m

        # Vehicles and tracks belong to the operating company (作业单位) and the street they work in.
        policy.register(m.Vehicle, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="unit_id", area={"street": "street_id"}))
        policy.register(m.Track, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="vehicle__unit_id",
                                             area={"street": "vehicle__street_id"}))
        # The plan and the coverage are the district's shared picture of its roads.
        policy.register(m.SweepPlan, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="unit_id", area={"street": "street_id"},
                                                 everyone_reads=True))
        policy.register(m.SegmentDay, policy.Rule(read=R.ALL_ROLES, everyone_reads=True))
        # Inspections are made by the street's chief and the ops center's supervisors (监督员) on their streets.
        policy.register(m.Inspection, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.STREET_CHIEF, R.OPS_GRID_WORKER}), area={"street": "street_id"},
                                                  everyone_reads=True))
        policy.register(m.ScoreItem, policy.Rule(read=R.ALL_ROLES, everyone_reads=True))
        policy.register(m.DemoStreet, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER, R.STREET_CHIEF}), unit="unit_id",
                                                  area={"street": "street_id"}, everyone_reads=True))
        # Demonstration streets are assessed by the ops center (城运中心考核), not by those who keep them.
        policy.register(m.MonthlyScore, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.OPS_SHIFT_LEADER, R.OPS_DISPATCHER}), everyone_reads=True))
        audit.mask_fields(m.Vehicle, "feed_password")
        register_verbs("sanitation.track", {"import_track": _("导入轨迹")})
        register_verbs("sanitation.monthlyscore", {"rescore": _("更正评分")})
        register_verbs("sanitation.sweepplan", {"default_plan": _("按道路等级生成机扫计划")})
        register_verbs("sanitation.demostreet", {"status_named": _("命名示范街"), "status_revoked": _("摘牌")})

        from chengyun.monitoring import mqtt_ingest

        from . import mqtt

        mqtt_ingest.register_topic(mqtt.POSITION_TOPIC, mqtt.handle)
