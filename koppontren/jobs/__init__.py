"""Background jobs for documents that take more than a few seconds (the RAT pack, a long Buku
Besar), with a file cache of finished results. Generic: statements use it, SHU slips can too.

``submit(key, "package.module:function", kwargs)`` runs ``function(progress, **kwargs) -> bytes``
in an app context and stores the bytes under ``key``; ``status(key)`` says queued / running / done /
failed with a progress fraction; ``result(key)`` returns the bytes once done. A key names the
content (e.g. cooperative, report, period and head of the hash chain), so an unchanged ledger
finds its document already done and downloads it at once.

Backends: RQ on Redis when ``KOPPONTREN_REDIS_URL`` is set (run ``rq worker koppontren``), else an
in-process worker thread (the embedded default). ``JOBS_EAGER`` (tests) runs the job in the caller.
Results are files under ``<instance>/cache/jobs/`` (shared by every process of one instance folder).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from koppontren.tenancy import rls

log = logging.getLogger(__name__)
QUEUE = "koppontren"
STATES = ("queued", "running", "done", "failed", "unknown")


@dataclass(frozen=True)
class JobStatus:
    key: str
    state: str
    progress: float = 0.0
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.state == "done"

    def as_dict(self) -> dict:
        return {"key": self.key, "state": self.state, "progress": round(self.progress, 3), "error": self.error}


def make_key(*parts) -> str:
    """A cache key from any JSON-able parts (sha256)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _dir() -> Path:
    path = Path(current_app.instance_path) / "cache" / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(key: str) -> Path:
    if not key.isalnum():
        raise ValueError("bad job key")
    return _dir() / f"{key}.bin"


def result(key: str) -> bytes | None:
    path = _path(key)
    return path.read_bytes() if path.is_file() else None


def store(key: str, data: bytes) -> None:
    """Write atomically: a reader sees the whole file or none."""
    path = _path(key)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _resolve(func: str) -> Callable:
    module, _, name = func.partition(":")
    if not module.startswith("koppontren."):
        raise ValueError("jobs run koppontren functions only")
    return getattr(importlib.import_module(module), name)


# --- in-process thread backend ------------------------------------------------------------------

_LOCK = threading.Lock()
_THREADS: dict[str, JobStatus] = {}


def _run_here(app, key: str, func: str, kwargs: dict) -> None:
    def progress(fraction: float) -> None:
        with _LOCK:
            _THREADS[key] = JobStatus(key, "running", max(0.0, min(1.0, fraction)))

    with app.app_context(), rls.bypass(f"job {func}"):
        from koppontren.extensions import db

        try:
            progress(0.0)
            store(key, _resolve(func)(progress, **kwargs))
            with _LOCK:
                _THREADS[key] = JobStatus(key, "done", 1.0)
        except Exception as err:  # the page shows the failure; the log has the traceback
            log.exception("job %s failed", key)
            with _LOCK:
                _THREADS[key] = JobStatus(key, "failed", 0.0, type(err).__name__)
        finally:
            db.session.remove()


# --- RQ backend -----------------------------------------------------------------------------------

def _redis_url() -> str | None:
    return current_app.config.get("REDIS_URL") or None  # config.py reads KOPPONTREN_REDIS_URL


def _queue():
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(_redis_url()))


_WORKER_APP = None


def run_rq(key: str, func: str, kwargs: dict) -> None:
    """What an RQ worker runs: builds the app once per worker process, then the job."""
    global _WORKER_APP
    from rq import get_current_job

    if _WORKER_APP is None:
        from koppontren import create_app

        _WORKER_APP = create_app()
    job = get_current_job()

    def progress(fraction: float) -> None:
        if job is not None:
            job.meta["progress"] = fraction
            job.save_meta()

    with _WORKER_APP.app_context(), rls.bypass(f"job {func}"):
        from koppontren.extensions import db

        try:
            store(key, _resolve(func)(progress, **kwargs))
        finally:
            db.session.remove()


def submit(key: str, func: str, kwargs: dict) -> JobStatus:
    """Start the job unless its result is already stored or it is already under way."""
    if _path(key).is_file():
        return JobStatus(key, "done", 1.0)
    app = current_app._get_current_object()
    if app.config.get("JOBS_EAGER"):
        _run_here(app, key, func, kwargs)
        return status(key)
    if _redis_url():
        queue = _queue()
        job = queue.fetch_job(key)
        if job is None or job.get_status(refresh=True) in ("failed", "stopped", "canceled"):
            if job is not None:
                job.delete()
            queue.enqueue(run_rq, key, func, kwargs, job_id=key, job_timeout=1800, result_ttl=600, failure_ttl=600)
        return status(key)
    with _LOCK:
        current = _THREADS.get(key)
        if current is not None and current.state in ("queued", "running"):
            return current
        _THREADS[key] = JobStatus(key, "queued")
    threading.Thread(target=_run_here, args=(app, key, func, kwargs), name=f"job-{key[:8]}", daemon=True).start()
    return status(key)


def status(key: str) -> JobStatus:
    if _path(key).is_file():
        return JobStatus(key, "done", 1.0)
    if _redis_url():
        job = _queue().fetch_job(key)
        if job is None:
            return JobStatus(key, "unknown")
        state = job.get_status(refresh=True)
        state = {"started": "running", "deferred": "queued", "scheduled": "queued", "finished": "done"}.get(state, state)
        if state not in STATES:
            state = "failed"
        return JobStatus(key, state, float(job.meta.get("progress", 0.0)), "failed" if state == "failed" else None)
    with _LOCK:
        return _THREADS.get(key) or JobStatus(key, "unknown")


def _test_job(progress, *, text: str) -> bytes:
    """A trivial job for the tests of this module."""
    progress(0.5)
    return text.encode()
