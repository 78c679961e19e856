"""Production configuration rules, Django-free so that settings.py can use them.

``CHENGYUN_MODE`` says how the process runs: ``production`` (the default: anything that is not
explicitly a demo or the test suite), ``demo`` (`chengyun demo` sets it) or ``test``.
Production refuses to start with settings that would be unsafe on a government network.
"""
from __future__ import annotations

from urllib.parse import urlparse

MODES = ("production", "demo", "test")
MIN_SECRET_KEY_LENGTH = 40
# Keys copied from documentation and tutorials; a deployment that uses one has no secret at all.
_KNOWN_KEYS = ("changeme", "change-me", "secret", "insecure", "django-insecure", "<50", "test-only-secret-key", "your-secret-key")


class UnsafeSettings(Exception):
    """One line naming what is unsafe and how to fix it."""


def production_problems(*, mode: str, debug: bool, secret_key: str) -> list[str]:
    if mode not in MODES:
        return [f"CHENGYUN_MODE={mode!r} 无效，应为 {' | '.join(MODES)}"]
    if mode != "production":
        return []
    problems = []
    if debug:
        problems.append("生产模式不允许 CHENGYUN_DEBUG=1（调试页会泄露配置与数据；演示请用 chengyun demo）")
    key = secret_key.strip()
    lowered = key.lower()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"CHENGYUN_SECRET_KEY 过短（{len(key)} 个字符，至少 {MIN_SECRET_KEY_LENGTH} 个随机字符；"
                        "可用 python3 -c 'import secrets;print(secrets.token_urlsafe(50))' 生成）")
    elif any(lowered.startswith(k) or k in lowered for k in _KNOWN_KEYS) or len(set(key)) < 10:
        problems.append("CHENGYUN_SECRET_KEY 是示例或默认值，请换成随机生成的密钥")
    return problems


def check_production(*, mode: str, debug: bool, secret_key: str) -> None:
    problems = production_problems(mode=mode, debug=debug, secret_key=secret_key)
    if problems:
        raise UnsafeSettings("拒绝启动：" + "；".join(problems))


def data_dir_problem(path) -> str | None:
    """Why the data directory cannot hold the database, uploads and queue, or None.
    Checked before anything writes there, so a read-only or full disk stops the start with one
    line instead of a traceback halfway through a migration."""
    import errno
    import os
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        reason = {errno.EROFS: "只读文件系统", errno.EACCES: "没有写权限", errno.EPERM: "没有写权限",
                  errno.ENOSPC: "磁盘已满", errno.EDQUOT: "超出磁盘配额"}.get(exc.errno, exc.strerror or str(exc))
        return f"拒绝启动：数据目录 {path} 不可写（{reason}）；请检查挂载方式、权限与剩余空间（CHENGYUN_DATA_DIR）"
    return None


def origin_of(url_template: str) -> str | None:
    """The scheme://host[:port] of a tile URL template (subdomain placeholders become a wildcard)."""
    if not url_template:
        return None
    parsed = urlparse(url_template.replace("{s}", "x"))
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    host = parsed.netloc
    if "{s}" in url_template.split("//", 1)[-1].split("/", 1)[0]:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parsed.scheme}://{host}"


def content_security_policy(*, tile_url: str = "", report_uri: str = "") -> str:
    """The policy for every page. Scripts only from this site (no inline script, no eval);
    inline *styles* are allowed because Leaflet and ECharts position their elements with
    style attributes; images may be data:/blob: (map markers, chart exports) and basemap tiles."""
    img = ["'self'", "data:", "blob:"]
    tiles = origin_of(tile_url)
    if tiles:
        img.append(tiles)
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(img)}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if report_uri:
        directives.append(f"report-uri {report_uri}")
    return "; ".join(directives)


def parse_rate(text: str) -> tuple[int, int]:
    """'20/60' → 20 requests per 60 seconds; '0' or '' → no limit (0, 0)."""
    text = (text or "").strip()
    if text in ("", "0"):
        return (0, 0)
    try:
        count, _, seconds = text.partition("/")
        parsed = (int(count), int(seconds or "60"))
    except ValueError:
        raise UnsafeSettings(f"限流设置 {text!r} 无效，应为 次数/秒数，如 20/60") from None
    if parsed[0] < 0 or parsed[1] <= 0:
        raise UnsafeSettings(f"限流设置 {text!r} 无效，次数与秒数须为正数")
    return parsed
