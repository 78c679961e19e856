"""Helpers for browser tests (importable: tests/ is on pytest's pythonpath)."""
import os
from pathlib import Path

ARTIFACTS = Path(os.environ.get("CHENGYUN_TEST_ARTIFACTS", "test-artifacts"))


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def login(page, live_server, username: str, password: str = "pw-test-123") -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
