"""gunicorn's settings for the web nodes of ``make cluster`` (config/cluster) and production alike.

prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, portal/operations.py) keeps each
worker's figures in a file; a worker that exits has its live gauges dropped here, as the library asks.
"""

import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
