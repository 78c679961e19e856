from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chengyun.core import current
from chengyun.core.errors import DomainError
from chengyun.drainage import services
from chengyun.drainage.importers import read_inspection_table, read_network_file


class Command(BaseCommand):
    help = ("排水管网：import 文件… 导入管网（GeoJSON/Shapefile/CSV，节点与管段可分文件；有错误则不写入）；"
            "inspections 文件 导入检测成果表（CSV/Excel）；trace 节点 [--direction downstream]；misconnections 识别混接错接")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入管网（同一次导入的所有文件一起检查拓扑）")
        imp.add_argument("files", nargs="+")
        imp.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
        imp.add_argument("--owner", default=None, help="默认权属单位编码（要素无 owner 属性时使用）")
        imp.add_argument("--encoding", default=None, help="Shapefile 属性表编码（默认读 .cpg，否则 utf-8；常见 gbk）")
        imp.add_argument("--max-lines", type=int, default=200, help="最多列出多少条错误和警告")
        ins = sub.add_parser("inspections", help="导入 CCTV/QV 检测成果表并按 CJJ 181-2012 评估")
        ins.add_argument("file")
        ins.add_argument("--dry-run", action="store_true")
        tr = sub.add_parser("trace", help="上下游追溯")
        tr.add_argument("node")
        tr.add_argument("--direction", default="upstream", choices=["upstream", "downstream"])
        sub.add_parser("misconnections", help="识别混接错接（拓扑规则 + 水务旱天出流）")

    def handle(self, *args, action: str, **o):
        with current.acting(None, source="cli"):
            try:
                if action == "import":
                    features = []
                    for f in o["files"]:
                        features += read_network_file(f, o["encoding"])
                    report = services.import_network(features, dry_run=o["dry_run"], default_owner=o["owner"])
                    self.stdout.write(report.as_text(o["max_lines"]))
                    if not report.ok:
                        raise CommandError("导入失败：文件有错误，未写入任何数据")
                elif action == "inspections":
                    path = Path(o["file"])
                    rows = read_inspection_table(path.read_bytes(), path.name)
                    report = services.import_inspections(rows, dry_run=o["dry_run"], source_name=path.name)
                    self.stdout.write(report.as_text())
                    if not report.ok:
                        raise CommandError("导入失败：检测表有错误，未写入任何数据")
                elif action == "trace":
                    r = services.trace(o["node"], o["direction"], catchment=False)
                    self.stdout.write(f"{r.node} {'上游' if r.direction == 'upstream' else '下游'}：{len(r.pipes)} 根管段，{len(r.nodes)} 个节点，{r.length_m / 1000:.2f} 公里")
                    if r.ends:
                        self.stdout.write("去向：" + "、".join(r.ends))
                    for s in r.sources[:50]:
                        self.stdout.write(f"排水户：{s['name']}（{s['code']}，节点 {s['node']}）")
                else:
                    r = services.detect_misconnections(None)
                    self.stdout.write(f"识别 {r.found} 处，新增 {r.created}，更新 {r.updated}")
                    for m in r.messages:
                        self.stdout.write(m)
            except DomainError as exc:
                raise CommandError(exc.message) from None
