from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chengyun.core import current
from chengyun.core.errors import DomainError
from chengyun.people import services
from chengyun.people.models import ApiToken


class Command(BaseCommand):
    help = "API 令牌：create 用户名 生成新令牌（只显示一次）；list 用户名；revoke 前缀"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户生成令牌")
        create.add_argument("username")
        create.add_argument("--name", default="", help="用途说明，如“水质监测设备”")
        create.add_argument("--scope", action="append", default=[], help="权限范围，可重复，如 drone:upload、cases:read（默认 * 全部）")
        create.add_argument("--expires-days", type=int, default=None, help="有效天数（默认不过期）")
        listing = sub.add_parser("list", help="列出用户的令牌")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="吊销令牌")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options):
        with current.acting(None, source="cli"):
            try:
                if action == "create":
                    _token, key = services.create_token(None, options["username"], options["name"], scopes=options["scope"] or ["*"],
                                                        expires_in_days=options["expires_days"])
                    self.stdout.write(key)
                elif action == "list":
                    for t in ApiToken.objects.filter(user__username=options["username"]).order_by("created_at"):
                        state = "已吊销" if t.revoked_at else ("已过期" if t.expires_at and t.expires_at <= timezone.now() else "有效")
                        until = f"至 {t.expires_at:%Y-%m-%d}" if t.expires_at else "不过期"
                        self.stdout.write(f"{t.prefix}…  {t.name or '-'}  {','.join(t.scopes) or '-'}  {t.created_at:%Y-%m-%d %H:%M}  {until}  {state}")
                else:
                    tokens = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
                    if len(tokens) != 1:
                        raise CommandError(f"前缀 {options['prefix']} 对应 {len(tokens)} 个有效令牌")
                    services.revoke_token(None, tokens[0])
                    self.stdout.write("已吊销")
            except DomainError as exc:
                raise CommandError(exc.message) from None
