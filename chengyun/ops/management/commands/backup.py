"""`chengyun backup --output FILE`: a consistent online backup of this installation."""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chengyun import __version__
from chengyun.ops.backup import BackupError, Site, backup


def site_from_settings() -> Site:
    return Site(data_dir=Path(settings.DATA_DIR), media_root=Path(settings.MEDIA_ROOT), database=settings.DATABASES["default"],
                key_from_environment=bool(os.environ.get("CHENGYUN_SECRET_KEY")), extra={"version": __version__})


class Command(BaseCommand):
    help = "在线备份：数据库（SQLite 在线备份接口或 pg_dump 快照）、上传文件和密钥文件，打成一个 tar 包，附每张表的行数与校验和。"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=None, help="数据目录（默认 CHENGYUN_DATA_DIR）")
        parser.add_argument("--output", required=True, help="备份文件，如 /backup/chengyun-$(date +%%F).tar.gz（.gz 结尾则压缩）")

    def handle(self, *args, output: str, **options):
        try:
            backup(site_from_settings(), Path(output), log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
