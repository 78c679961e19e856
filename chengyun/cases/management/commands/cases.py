import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chengyun.cases import services
from chengyun.core import current
from chengyun.core.errors import DomainError


class Command(BaseCommand):
    help = ("城市管理案件：standard-import 文件 [--dry-run]；standard-export 文件(.csv/.xlsx)；hotline-import 文件；"
            "drone-import 文件.json；refresh-clocks")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("standard-import", help="导入本市部件/事件立案、处置、结案标准（CSV/Excel；有任何错误则不写入）")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true")
        exp = sub.add_parser("standard-export", help="导出当前案件类别标准")
        exp.add_argument("file")
        hot = sub.add_parser("hotline-import", help="导入 12345 热线工单（CSV/Excel；有任何错误则不导入；已导入的工单跳过）")
        hot.add_argument("file")
        drone = sub.add_parser("drone-import", help="导入无人机巡查架次（JSON；同一架次重复导入不产生变化）")
        drone.add_argument("file")
        sub.add_parser("refresh-clocks", help="立即更新全部在办案件的时限状态并发送预警/超期通知")

    def handle(self, *args, action: str, **options):
        with current.acting(None, source="cli"):
            try:
                if action == "standard-import":
                    path = Path(options["file"])
                    report = services.import_catalogue(None, path.read_bytes(), path.name, dry_run=options["dry_run"])
                    self.stdout.write(report.as_text())
                    if not report.ok:
                        raise CommandError("导入失败：文件有错误，未写入任何数据")
                elif action == "standard-export":
                    path = Path(options["file"])
                    path.write_bytes(services.export_catalogue("xlsx" if path.suffix.lower() == ".xlsx" else "csv"))
                    self.stdout.write(f"已导出到 {path}")
                elif action == "hotline-import":
                    path = Path(options["file"])
                    rep = services.import_hotline(None, path.read_bytes(), path.name)
                    for e in rep.errors:
                        self.stdout.write(f"错误：{e}")
                    if not rep.ok:
                        raise CommandError("导入失败：文件有错误，未导入任何工单")
                    self.stdout.write(f"新建 {len(rep.created)} 件，跳过已导入 {len(rep.skipped)} 件")
                elif action == "drone-import":
                    try:
                        payload = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
                    except ValueError as exc:
                        raise CommandError(f"不是合法的 JSON：{exc}") from None
                    res = services.import_drone_flight(None, payload)
                    head = "该架次已导入过，未作改动：" if res.already_imported else ""
                    self.stdout.write(f"{head}架次 {res.flight_id}：识别 {res.detections}，新建 {res.created}，重复 {res.duplicates}，区外 {res.outside}")
                else:
                    changed = services.refresh_clocks()
                    self.stdout.write(f"转为预警 {changed['warning']} 件，转为超期 {changed['overdue']} 件，恢复正常 {changed['normal']} 件")
            except DomainError as exc:
                detail = exc.detail if isinstance(exc.detail, list) else []
                for line in detail[:50]:
                    self.stdout.write(f"错误：{line}")
                raise CommandError(exc.message) from None
            except OSError as exc:
                raise CommandError(f"无法读取文件：{exc}") from None
