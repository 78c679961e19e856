from django.core.management.base import BaseCommand, CommandError

from chengyun.core import current
from chengyun.core.errors import DomainError
from chengyun.geo import services
from chengyun.geo.importers import read_file


class Command(BaseCommand):
    help = "区划边界：import 文件 --level 层级 [--dry-run]；validate 检查包含关系、重叠与缝隙；locate 经度 纬度"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入 GeoJSON 或 Shapefile 边界（有任何错误则不写入）")
        imp.add_argument("file")
        imp.add_argument("--level", required=True, choices=["district", "street", "community", "grid"])
        imp.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
        imp.add_argument("--encoding", default=None, help="Shapefile 属性表编码（默认读 .cpg，否则 utf-8；常见 gbk）")
        sub.add_parser("validate", help="检查已存区划")
        loc = sub.add_parser("locate", help="坐标定位")
        loc.add_argument("lng", type=float)
        loc.add_argument("lat", type=float)
        loc.add_argument("--crs", default="wgs84", choices=["wgs84", "cgcs2000", "gcj02", "bd09"])

    def handle(self, *args, action: str, **options):
        with current.acting(None, source="cli"):
            try:
                if action == "import":
                    report = services.import_boundaries(read_file(options["file"], options["encoding"]), options["level"], dry_run=options["dry_run"])
                    self.stdout.write(report.as_text())
                    if not report.ok:
                        raise CommandError("导入失败：文件有错误，未写入任何数据")
                elif action == "validate":
                    r = services.validate_tiling()
                    self.stdout.write("，".join(f"{k} {v}" for k, v in r.counts.items()))
                    for p in r.problems:
                        self.stdout.write(f"问题：{p}")
                    self.stdout.write("区划检查通过" if r.ok else f"共 {len(r.problems)} 个问题")
                else:
                    loc = services.locate(options["lng"], options["lat"], options["crs"]).to_dict()
                    self.stdout.write(f"{loc['street']['name']} {loc['street']['code']} / {loc['community']['name']} {loc['community']['code']} / {loc['grid']['name']} {loc['grid']['code']}")
            except DomainError as exc:
                raise CommandError(exc.message) from None
