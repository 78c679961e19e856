"""`chengyun serve`'s supervisor: a process that exits is started again (with a pause that grows
while it keeps crashing), and SIGTERM stops every process it started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_crashing_service_is_restarted_and_sigterm_stops_all(tmp_path):
    marker = tmp_path / "starts"
    script = textwrap.dedent(f"""
        import sys
        from chengyun.ops.supervisor import Service, Supervisor
        crash = [sys.executable, "-c", "open({str(marker)!r}, 'a').write('x'); raise SystemExit(3)"]
        steady = [sys.executable, "-c", "import time; open({str(tmp_path / 'steady.pid')!r}, 'w').write(str(__import__('os').getpid())); time.sleep(600)"]
        Supervisor([Service("crash", crash), Service("steady", steady)], env=None, log=lambda m: print(m, flush=True)).run()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not marker.exists() or len(marker.read_text()) < 3):
        time.sleep(0.2)
    steady_pid = int((tmp_path / "steady.pid").read_text())
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=40)
    assert len(marker.read_text()) >= 3  # started, crashed, started again (twice at least)
    assert "crash 已退出（代码 3" in out and "已重启 crash" in out and "已停止全部服务" in out
    assert proc.returncode == 0
    # The steady service was stopped with the supervisor, not left behind.
    try:
        os.kill(steady_pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
