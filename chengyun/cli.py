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
        os.environ.setdefault("CHENGYUN_2FA_ROLES", "")  # demo accounts sign in without an authenticator app
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if len(argv) > 1 else [argv[0], "help"])


if __name__ == "__main__":
    main()
