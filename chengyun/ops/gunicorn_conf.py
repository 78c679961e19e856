"""gunicorn settings for `chengyun serve` and the systemd unit (`-c python:chengyun.ops.gunicorn_conf`).

In prometheus_client's multiprocess mode every worker writes its samples to files in
PROMETHEUS_MULTIPROC_DIR; a dead worker's live gauges must be removed when it exits."""


def child_exit(server, worker):
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
