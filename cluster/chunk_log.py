"""Loaded into the cluster test's Celery workers (``celery worker --include cluster.chunk_log``).

Each close chunk a worker starts and finishes is appended as one line to ``CLUSTER_CHUNK_LOG``:
``<unix time> <host> start|done <day> <step> <chunk> <redelivered 0|1> <task id>``. The test reads
these lines to tell which host ran which chunk, which chunk was in flight on the host it kills and
that the broker gave that chunk to the other host again. A line is one ``write`` on a file opened
with O_APPEND, so the two hosts' lines never interleave and a line written before a SIGKILL stays.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Task
from celery.signals import task_postrun, task_prerun

HOST = os.environ.get("CLUSTER_HOST", "?")
LOG_PATH = os.environ.get("CLUSTER_CHUNK_LOG", "")


def _write(event: str, task: Task[Any, Any] | None, task_id: str | None, args: Any) -> None:
    if not LOG_PATH or task is None or task.name != "postloan.cob_chunk":
        return
    day, step, chunk = [*(args or []), "?", "?", "?"][:3]
    delivery = getattr(task.request, "delivery_info", None) or {}
    redelivered = 1 if delivery.get("redelivered") else 0
    line = f"{time.time():.3f} {HOST} {event} {day} {step} {chunk} {redelivered} {task_id}\n"
    fd = os.open(LOG_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@task_prerun.connect
def chunk_started(task_id: str | None = None, task: Task[Any, Any] | None = None, args: Any = None, **_: Any) -> None:
    _write("start", task, task_id, args)


@task_postrun.connect
def chunk_done(task_id: str | None = None, task: Task[Any, Any] | None = None, args: Any = None, **_: Any) -> None:
    _write("done", task, task_id, args)
