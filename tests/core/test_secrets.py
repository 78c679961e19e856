"""Secrets come from the environment (or, for the Django key on a single host, a file generated in
the data directory at first start) — never from the repository."""
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# An assignment of a literal to a name that says it is a secret.
LITERAL_SECRET = re.compile(r"""^\s*[A-Z_]*(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY)[A-Z_]*\s*=\s*["'][^"']{6,}["']\s*(#.*)?$""", re.M)  # (not a choices tuple: WRONG_PASSWORD = "wrong_pw", _(…))
ALLOWED = {"chengyun/test_settings.py", "chengyun/demo/context.py"}  # the test suite's key; the demo's published password


def test_no_secret_literal_in_the_code():
    assert LITERAL_SECRET.search('SECRET_KEY = "django-insecure-abc"') and LITERAL_SECRET.search("    EMAIL_PASSWORD = 'hunter22'  # x")
    found = []
    for path in (ROOT / "chengyun").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or "/migrations/" in rel:
            continue
        found += [f"{rel}: {m.group(0).strip()}" for m in LITERAL_SECRET.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_secret_key_is_read_from_the_environment():
    assert settings.SECRET_KEY == os.environ["CHENGYUN_SECRET_KEY"]


def test_without_the_environment_a_key_is_generated_in_the_data_directory_readable_by_the_owner_only(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CHENGYUN_SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    env["CHENGYUN_DATA_DIR"] = str(tmp_path)
    code = "import chengyun.settings as s; print(s.SECRET_KEY)"
    first = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    again = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    key_file = tmp_path / "secret_key"
    assert first == again == key_file.read_text().strip() and len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
