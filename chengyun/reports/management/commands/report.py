"""`chengyun report <kind> [options] --output FILE.docx`: generate, archive and save a report.

Kinds come from chengyun.reports.kinds (each app registers its own in AppConfig.ready()), so
adding a report needs no change here.
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chengyun.core import current
from chengyun.core.errors import DomainError
from chengyun.reports import kinds, services


class Command(BaseCommand):
    help = "生成报告并归档，例如：chengyun report supervision-monthly --month 2026-05 --output 月报.docx"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, title="报告类型", metavar="KIND")
        for kind in kinds.all_kinds():
            p = sub.add_parser(kind.key, help=kind.label, description=kind.label)
            kind.add_arguments(p)
            p.add_argument("--output", help="Word 文件保存路径（.docx）")
            p.add_argument("--xlsx", help="Excel 文件保存路径（.xlsx），若该报告有表格")

    def handle(self, *args, kind: str, output: str | None = None, xlsx: str | None = None, **options):
        with current.acting(None, source="cli"):
            try:
                run, generated = services.generate(None, kind, options)
            except DomainError as exc:
                raise CommandError(exc.message) from None
        if output:
            if not generated.docx:
                raise CommandError(f"报告 {kind} 没有 Word 文件")
            Path(output).write_bytes(generated.docx)
            self.stdout.write(f"已保存 {output}")
        if xlsx:
            if not generated.xlsx:
                raise CommandError(f"报告 {kind} 没有 Excel 文件")
            Path(xlsx).write_bytes(generated.xlsx)
            self.stdout.write(f"已保存 {xlsx}")
        self.stdout.write(self.style.SUCCESS(f"已生成并归档：{run.title}（第 {run.pk} 号）"))
