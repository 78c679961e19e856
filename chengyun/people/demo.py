"""The demo district's people: every role, with area scopes (定人定片区) and demo logins."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from chengyun.core import audit
from chengyun.demo.context import DEMO_PASSWORD, DemoContext
from chengyun.demo.names import person_name, phone
from chengyun.geo.models import Community, Grid, Street, Unit

from . import roles as R
from .models import Person

# One login per role for trying the platform; the name says what each one sees.
DEMO_ACCOUNTS = [
    ("admin", R.SYSADMIN, "系统管理员"),
    ("leader", R.DISTRICT_LEADER, "区领导"),
    ("acceptor", R.OPS_ACCEPTOR, "城运中心受理员"),
    ("shiftlead", R.OPS_SHIFT_LEADER, "城运中心值班长"),
    ("dispatcher", R.OPS_DISPATCHER, "城运中心派遣员"),
    ("handler", R.DEPT_HANDLER, "区城市管理局处置人员"),
    ("streetchief", R.STREET_CHIEF, "湟水街道街长"),
    ("gridworker", R.COMMUNITY_GRID_WORKER, "社区网格员"),
    ("supervisor", R.OPS_GRID_WORKER, "城运中心网格员（监督员）"),
    ("drone", R.DRONE_OPERATOR, "无人机飞手"),
    ("riverchief", R.RIVER_CHIEF, "街道级河长"),
    ("auditor", R.AUDITOR, "审计员"),
    ("secadmin", R.SECURITY_ADMIN, "安全管理员（登录锁定、会话、双因素认证）"),
    ("villagecadre", R.VILLAGE_CADRE, "村干部（本村的集体经济扶持项目）"),
    ("streetofficer", R.STREET_OFFICER, "街道（镇）工作人员（本街道村级项目的初审）"),
]
# The villages (行政村, community-level areas) are the district's outer communities: the last
# VILLAGE_COUNT by code. Each has a cadre; the village fund's demo makes its villages of the
# communities that have one.
VILLAGE_COUNT = 12


def generate(ctx: DemoContext) -> None:
    if Person.objects.exists():
        ctx.log("人员：已存在，跳过")
        return
    rng = ctx.rng("people")
    units = {u.code: u for u in Unit.objects.all()}
    streets = list(Street.objects.order_by("code"))
    communities = list(Community.objects.order_by("code"))
    grids_by_community: dict[int, list[Grid]] = {}
    for g in Grid.objects.order_by("code"):
        grids_by_community.setdefault(g.community_id, []).append(g)

    plan: list[dict] = []  # each: name, unit, roles, streets, communities, grids, title, login

    def add(unit_code: str, roles: list[str], title: str = "", streets=(), communities=(), grids=(), login: str | None = None):
        plan.append({"name": person_name(rng), "unit": units[unit_code], "roles": roles, "title": title,
                     "streets": list(streets), "communities": list(communities), "grids": list(grids), "login": login})

    logins = {code: username for username, code, _ in DEMO_ACCOUNTS}
    add("OPS", [R.SYSADMIN], "信息科", login="admin")
    add("OPS", [R.SYSADMIN], "信息科")
    add("OPS", [R.DISTRICT_LEADER], "区长", login=logins[R.DISTRICT_LEADER])
    add("OPS", [R.DISTRICT_LEADER, R.RIVER_CHIEF], "区委书记（区级总河长）", streets=streets)
    for t in ("常务副区长", "副区长（分管城建）", "城运中心主任"):
        add("OPS", [R.DISTRICT_LEADER], t)
    for n in range(6):
        add("OPS", [R.OPS_ACCEPTOR], "受理员", login=logins[R.OPS_ACCEPTOR] if n == 0 else None)
    for n in range(3):
        add("OPS", [R.OPS_SHIFT_LEADER], "值班长", login=logins[R.OPS_SHIFT_LEADER] if n == 0 else None)
    for n in range(6):
        add("OPS", [R.OPS_DISPATCHER], "派遣员", login=logins[R.OPS_DISPATCHER] if n == 0 else None)
    for n in range(2):
        add("OPS", [R.AUDITOR], "纪检审计", login=logins[R.AUDITOR] if n == 0 else None)
    # Department, utility, contractor and property handlers: two or three per unit.
    first_handler = True
    for u in units.values():
        if u.kind in (Unit.Kind.DEPARTMENT, Unit.Kind.UTILITY, Unit.Kind.CONTRACTOR, Unit.Kind.PROPERTY, Unit.Kind.STREET_OFFICE):
            for k in range(3 if u.kind in (Unit.Kind.DEPARTMENT, Unit.Kind.STREET_OFFICE) else 2):
                login = None
                if first_handler and u.code == "D01":
                    login, first_handler = logins[R.DEPT_HANDLER], False
                add(u.code, [R.DEPT_HANDLER], "处置员" if k else "科长", login=login)
    # Street chiefs (街长): each owns the grids along one stretch of road in their street.
    for si, s in enumerate(streets):
        street_grids = [g for c in communities if c.street_id == s.id for g in grids_by_community.get(c.id, [])]
        for k in range(5):
            stretch = street_grids[k::5][:8]
            add(f"S{si + 1:02d}", [R.STREET_CHIEF], "街长", grids=stretch, login=logins[R.STREET_CHIEF] if si == 0 and k == 0 else None)
    # Street-level river chiefs are the street office's director; community-level ones the community secretary.
    for si, s in enumerate(streets):
        add(f"S{si + 1:02d}", [R.RIVER_CHIEF, R.STREET_CHIEF], "街道办主任（街道级河长）", streets=[s], login=logins[R.RIVER_CHIEF] if si == 0 else None)
    for c in communities[::5]:
        add(f"S{streets.index(next(s for s in streets if s.id == c.street_id)) + 1:02d}", [R.RIVER_CHIEF], "社区书记（社区级河长）", communities=[c])
    # Community grid workers: about four grids each, inside one community.
    first_gw = True
    for c in communities:
        cg = grids_by_community.get(c.id, [])
        street_no = streets.index(next(s for s in streets if s.id == c.street_id)) + 1
        for k in range(0, len(cg), 4):
            add(f"S{street_no:02d}", [R.COMMUNITY_GRID_WORKER], "社区网格员", grids=cg[k:k + 4], login=logins[R.COMMUNITY_GRID_WORKER] if first_gw else None)
            first_gw = False
    # Ops-center grid workers (监督员): blocks of about 18 grids, patrolling across communities.
    all_grids = [g for c in communities for g in grids_by_community.get(c.id, [])]
    for k in range(0, len(all_grids), 18):
        add("OPS", [R.OPS_GRID_WORKER], "监督员", grids=all_grids[k:k + 18], login=logins[R.OPS_GRID_WORKER] if k == 0 else None)
    for k in range(4):
        add("OPS", [R.DRONE_OPERATOR], "无人机飞手", streets=streets[k * 2 % 6:(k * 2 % 6) + 2] if k < 3 else streets, login=logins[R.DRONE_OPERATOR] if k == 0 else None)
    # 三员: the security administrator is a third person beside the system administrators and auditors.
    add("OPS", [R.SECURITY_ADMIN], "信息安全", login=logins[R.SECURITY_ADMIN])
    # Village cadres (村“两委”): one per village, bound to its community-level area; street
    # officers (镇（街道）农经/组织干部): two per street that has villages, bound to the street.
    villages = communities[-VILLAGE_COUNT:]
    village_streets = [s for s in streets if any(c.street_id == s.id for c in villages)]
    for n, c in enumerate(villages):
        street_no = streets.index(next(s for s in streets if s.id == c.street_id)) + 1
        add(f"S{street_no:02d}", [R.VILLAGE_CADRE], "村党组织书记、村委会主任", communities=[c],
            login=logins[R.VILLAGE_CADRE] if n == 0 else None)
    first_village_street = next(s for s in streets if s.id == villages[0].street_id) if villages else None
    for s in village_streets:
        street_no = streets.index(s) + 1
        for k in range(2):
            login = logins[R.STREET_OFFICER] if s == first_village_street and k == 0 else None
            add(f"S{street_no:02d}", [R.STREET_OFFICER], "农业农村办干部" if k else "党建办干部", streets=[s], login=login)

    User = get_user_model()
    # One hash for every demo login: hashing is deliberately slow and they share a password.
    password_hash = make_password(DEMO_PASSWORD)
    users = {}
    for row in plan:
        if row["login"]:
            users[row["login"]] = User(username=row["login"], first_name=row["name"], password=password_hash,
                                       is_staff=row["login"] == "admin", is_superuser=False)
    User.objects.bulk_create(users.values())
    users = {u.username: u for u in User.objects.filter(username__in=list(users))}
    people = [Person(name=r["name"], unit=r["unit"], title=r["title"], phone=phone(rng), user=users.get(r["login"])) for r in plan]
    Person.objects.bulk_create(people)
    people = list(Person.objects.order_by("id"))
    through = {"roles": [], "streets": [], "communities": [], "grids": []}
    for person, row in zip(people, plan):
        through["roles"] += [Person.roles.through(person_id=person.id, role_id=code) for code in row["roles"]]
        through["streets"] += [Person.streets.through(person_id=person.id, street_id=s.id) for s in row["streets"]]
        through["communities"] += [Person.communities.through(person_id=person.id, community_id=c.id) for c in row["communities"]]
        through["grids"] += [Person.grids.through(person_id=person.id, grid_id=g.id) for g in row["grids"]]
    for field, rows in through.items():
        getattr(Person, field).through.objects.bulk_create(rows, batch_size=2000)
    audit.bulk_created(people, verb="demo")
    ctx.log(f"人员：{len(people)} 人，演示账号 {len(users)} 个（密码 {DEMO_PASSWORD}）")
