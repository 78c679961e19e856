"""chengyun i18n-check — the English words Chinese pages show, crawled as given users."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.utils import override_settings

from chengyun.core.i18n_check import crawl


class Command(BaseCommand):
    help = "以中文界面浏览各页面，列出未翻译的英文词（默认以 admin 登录）"

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", default=["admin"], help="以哪些账号浏览（默认 admin）")
        parser.add_argument("--max-pages", type=int, default=400)

    def handle(self, *args, usernames: list[str], max_pages: int, **options):
        users = get_user_model().objects
        worst = 0
        for username in usernames:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"账号 {username} 不存在")
            client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            client.force_login(user)
            with override_settings(ALLOWED_HOSTS=["testserver"]):
                found = crawl(client, max_pages=max_pages)
            self.stdout.write(f"== {username}：{len(found)} 个英文词")
            for word, pages in sorted(found.items(), key=lambda item: (-len(item[1]), item[0])):
                self.stdout.write(f"{word}\t{len(pages)}\t{' '.join(sorted(pages)[:3])}")
            worst = max(worst, len(found))
        if worst:
            raise SystemExit(1)
