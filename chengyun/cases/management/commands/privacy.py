from django.core.management.base import BaseCommand, CommandError

from chengyun.core import current


class Command(BaseCommand):
    help = "个人信息：purge 将超过保存期限（CHENGYUN_CITIZEN_DATA_RETENTION_DAYS）的已办结案件的上报人姓名和电话匿名化"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help="匿名化过期的市民个人信息")
        purge.add_argument("--days", type=int, default=None, help="保存天数（默认取设置）")
        sub.add_parser("encrypt", help="用 CHENGYUN_FIELD_KEY 加密（或在更换密钥后重新加密）已有的上报人电话")

    def handle(self, *args, action: str, **options):
        from chengyun.cases.privacy import anonymize_expired, encrypt_existing

        if action == "encrypt":
            with current.acting(None, source="cli"):
                try:
                    n = encrypt_existing()
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
            self.stdout.write(f"已加密 {n} 件案件的上报人电话")
            return

        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days 应为正整数")
        with current.acting(None, source="cli"):
            n = anonymize_expired(days=days)
        self.stdout.write(f"已匿名化 {n} 件案件的上报人信息")
