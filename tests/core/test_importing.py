"""The shared shape of import reports (core.importing.ImportOutcome)."""
from dataclasses import dataclass, field

from chengyun.core.importing import ImportOutcome


@dataclass
class Report(ImportOutcome):
    dry_run: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False


def test_outcome_says_whether_anything_was_written():
    assert Report(dry_run=True).outcome() == "（试运行，未写入）"
    assert Report(dry_run=False, written=True).outcome() == "已写入"
    assert Report(dry_run=False, errors=["x"]).outcome() == "未写入任何数据"
    assert Report(dry_run=False).ok and not Report(dry_run=False, errors=["x"]).ok


def test_text_lists_errors_then_warnings_and_counts_what_it_leaves_out():
    r = Report(dry_run=False, errors=["e1", "e2"], warnings=["w1"])
    assert r.lines_text("导入") == "导入\n错误：e1\n错误：e2\n警告：w1"
    assert r.lines_text("导入", max_lines=2) == "导入\n错误：e1\n错误：e2\n……另有 1 条未列出"
    assert r.lines_text("导入", max_lines=3) == "导入\n错误：e1\n错误：e2\n警告：w1"
