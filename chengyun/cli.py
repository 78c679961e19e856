"""The `chengyun` console script: Django management commands with the project's settings."""
from __future__ import annotations

import os
import sys


def _apply_data_dir(argv: list[str]) -> None:
    # --data-dir has to reach the settings before Django reads them.
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            os.environ["CHENGYUN_DATA_DIR"] = os.path.abspath(argv[i + 1])
        elif arg.startswith("--data-dir="):
            os.environ["CHENGYUN_DATA_DIR"] = os.path.abspath(arg.split("=", 1)[1])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chengyun.settings")
    _apply_data_dir(argv)
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("CHENGYUN_DEBUG", "1")  # the demo is for trying things out
        os.environ.setdefault("CHENGYUN_MODE", "demo")  # …so production's refusals do not apply
        os.environ.setdefault("CHENGYUN_2FA_ROLES", "")  # demo accounts sign in without an authenticator app
    if len(argv) > 1 and argv[1] == "restore":
        _refuse_restore_into_used_data_dir()
    from django.core.management import execute_from_command_line

    from chengyun.ops.config import UnsafeSettings

    try:
        execute_from_command_line(argv if len(argv) > 1 else [argv[0], "help"])
    except UnsafeSettings as exc:
        # One line a systemd journal shows in full, not a traceback.
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None


def _refuse_restore_into_used_data_dir() -> None:
    # Checked before the settings create the directory and its secret key file.
    from chengyun.ops.backup import data_dir_in_use

    data_dir = os.path.abspath(os.environ.get("CHENGYUN_DATA_DIR", "./var"))
    reason = data_dir_in_use(data_dir)
    if reason:
        sys.stderr.write(f"拒绝恢复：数据目录 {data_dir} 不是空的（{reason}）；请恢复到新的空目录\n")
        raise SystemExit(2)


if __name__ == "__main__":
    main()
