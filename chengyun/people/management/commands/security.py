from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chengyun.core import current
from chengyun.people import lockout, mfa, sessions
from chengyun.people.models import Lockout


class Command(BaseCommand):
    help = "账号安全：locks 列出锁定；unlock 解除锁定；revoke-sessions 结束某人的全部会话；reset-2fa 重置双因素认证"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("locks", help="列出当前的登录锁定")
        unlock = sub.add_parser("unlock", help="解除锁定")
        group = unlock.add_mutually_exclusive_group(required=True)
        group.add_argument("--account", help="登录名")
        group.add_argument("--address", help="客户端 IP 地址")
        group.add_argument("--token", help="API 令牌前缀（如 cy_AbCdEfG）")
        revoke = sub.add_parser("revoke-sessions", help="结束某人的全部登录会话")
        revoke.add_argument("username")
        reset = sub.add_parser("reset-2fa", help="重置某人的双因素认证（手机丢失时）")
        reset.add_argument("username")
        password = sub.add_parser("reset-password", help="为某人生成新密码（只显示一次，下次登录须修改）")
        password.add_argument("username")

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在")
        return user

    def handle(self, *args, action: str, **options):
        with current.acting(None, source="cli"):
            if action == "locks":
                for lk in lockout.active_locks():
                    self.stdout.write(f"{lk.kind}\t{lk.subject}\t{lk.failures}\t{lk.locked_until:%Y-%m-%d %H:%M}")
            elif action == "unlock":
                kind, subject = next((k, options[o]) for k, o in ((Lockout.Kind.ACCOUNT, "account"), (Lockout.Kind.ADDRESS, "address"),
                                                                  (Lockout.Kind.TOKEN, "token")) if options.get(o))
                if kind == Lockout.Kind.ACCOUNT:
                    subject = subject.strip().lower()
                n = lockout.unlock_subject(None, kind, subject)
                if n == 0:
                    raise CommandError(f"{subject} 没有锁定记录")
                self.stdout.write(f"已解除锁定：{subject}")
            elif action == "revoke-sessions":
                n = sessions.revoke_all(None, self._user(options["username"]))
                self.stdout.write(f"已结束 {n} 个会话")
            elif action == "reset-password":
                from chengyun.core.errors import DomainError
                from chengyun.people.services import reset_password

                try:
                    self.stdout.write(reset_password(None, options["username"]))
                except DomainError as exc:
                    raise CommandError(exc.message) from None
            else:
                mfa.reset(None, self._user(options["username"]))
                self.stdout.write("已重置双因素认证，该账号下次登录时重新绑定")
