"""Headless Debian chromium through Playwright. In CI (CI=1) a missing browser fails the run;
elsewhere the browser tests are skipped with a message saying so."""
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHENGYUN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CHENGYUN_TEST_ARTIFACTS", "test-artifacts"))


# Module scope, not session: while Playwright's sync API is open it keeps an event loop running
# in this thread, and later tests that call asyncio.run() (the HJ 212 server's) would fail.
@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须运行浏览器测试，但找不到 chromium：{CHROMIUM}")
        pytest.skip(f"已跳过浏览器测试：找不到 chromium（{CHROMIUM}）；以 root 运行 make test 会自动安装")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    yield pg
    context.close()
