from django.core.management.base import BaseCommand, CommandError

from chengyun.core import auditlog, current


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链（发现断链时返回非零）；purge 清理超过保存期限的记录；export 导出"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="校验哈希链，报告第一处被修改、删除或插入的记录")
        sub.add_parser("purge", help="清理超过 CHENGYUN_AUDIT_RETENTION_DAYS（至少 180 天）的记录，保留锚点")
        export = sub.add_parser("export", help="导出全部审计记录")
        export.add_argument("--output", required=True, help="输出文件（.csv 或 .xlsx）")

    def handle(self, *args, action: str, **options):
        with current.acting(None, source="cli"):
            if action == "verify":
                result = auditlog.verify()
                if not result.ok:
                    raise CommandError(f"审计日志哈希链断裂（已校验 {result.checked} 条）：{result.problem.message}")
                self.stdout.write(f"审计日志哈希链完整：{result.checked} 条")
            elif action == "purge":
                n = auditlog.purge()
                self.stdout.write(f"已清理 {n} 条超过 {auditlog.retention_days()} 天的审计记录")
            else:
                from chengyun.core import audit
                from chengyun.core.models import AuditEntry

                path = options["output"]
                fmt = "xlsx" if path.lower().endswith(".xlsx") else "csv"
                with open(path, "wb") as fh:
                    fh.write(auditlog.export(AuditEntry.objects.all(), fmt))
                audit.action(None, "audit_export", otype="core.auditentry", object_repr=fmt, after={"format": fmt, "file": path})
                self.stdout.write(f"已导出到 {path}")
