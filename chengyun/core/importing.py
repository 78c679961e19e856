"""What every all-or-nothing import reports, in one shape.

An import report (a dataclass with ``dry_run``, ``written``, ``errors`` and ``warnings``) takes
this mixin for ``ok`` and for its text: a summary line saying whether anything was written,
then one line per error and warning.
"""
from __future__ import annotations


class ImportOutcome:
    dry_run: bool
    written: bool
    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors

    def outcome(self) -> str:
        """（试运行，未写入） / 已写入 / 未写入任何数据, for the summary line."""
        return "（试运行，未写入）" if self.dry_run else ("已写入" if self.written else "未写入任何数据")

    def lines_text(self, summary: str, max_lines: int | None = None) -> str:
        """The summary, then the errors and the warnings (at most max_lines of them, with a count of the rest)."""
        body = [f"错误：{e}" for e in self.errors] + [f"警告：{w}" for w in self.warnings]
        lines = [summary]
        if max_lines is None or len(body) <= max_lines:
            lines += body
        else:
            lines += body[:max_lines] + [f"……另有 {len(body) - max_lines} 条未列出"]
        return "\n".join(lines)
