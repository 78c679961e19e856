"""`chengyun restore FILE`: restore a backup into an empty data directory (and empty database)."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chengyun.ops.backup import BackupError, restore

from .backup import site_from_settings


class Command(BaseCommand):
    help = ("把 chengyun backup 生成的备份恢复到空的数据目录（PostgreSQL：恢复到已创建的空数据库），"
            "并逐表核对行数与校验和；目录或数据库不空则拒绝。")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份文件")
        parser.add_argument("--data-dir", default=None, help="目标数据目录（默认 CHENGYUN_DATA_DIR）")

    def handle(self, *args, archive: str, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"备份文件不存在：{path}")
        try:
            restore(site_from_settings(), path, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
