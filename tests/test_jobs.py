"""Background jobs: the in-process worker thread (the embedded default), progress and the cache."""

from __future__ import annotations

import time

from koppontren import jobs


def test_a_thread_job_reports_progress_and_leaves_its_result_in_the_cache(app_ctx):
    app_ctx.config["JOBS_EAGER"] = False
    try:
        key = jobs.make_key("test", time.time())
        assert jobs.status(key).state == "unknown"
        status = jobs.submit(key, "koppontren.jobs:_test_job", {"text": "halo"})
        assert status.state in ("queued", "running", "done")
        for _ in range(100):
            if jobs.status(key).done:
                break
            time.sleep(0.05)
        assert jobs.status(key).done and jobs.result(key) == b"halo"
        assert jobs.submit(key, "koppontren.jobs:_test_job", {"text": "other"}).done  # cached: not run again
        assert jobs.result(key) == b"halo"
    finally:
        app_ctx.config["JOBS_EAGER"] = True


def test_only_koppontren_functions_run_and_keys_are_plain(app_ctx):
    import pytest

    with pytest.raises(ValueError):
        jobs._resolve("os:system")
    with pytest.raises(ValueError):
        jobs.result("../etc/passwd")


def _redis_up() -> bool:
    try:
        from redis import Redis

        return bool(Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def test_an_rq_job_runs_on_a_worker_and_reports_done(app_ctx):
    """RQ on Redis (KOPPONTREN_REDIS_URL): the job is queued under its key, a worker runs it, the
    result lands in the shared cache. Skipped without a Redis at 127.0.0.1:6379."""
    import pytest

    if not _redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    from redis import Redis
    from rq import SimpleWorker

    app_ctx.config.update(JOBS_EAGER=False, REDIS_URL="redis://127.0.0.1:6379/15")
    import koppontren

    previous = koppontren._WORKER_APP
    koppontren._WORKER_APP = app_ctx  # the worker process would build its own app from the environment
    try:
        key = jobs.make_key("rq-test", time.time())
        status = jobs.submit(key, "koppontren.jobs:_test_job", {"text": "lewat redis"})
        assert status.state == "queued"
        assert jobs.submit(key, "koppontren.jobs:_test_job", {"text": "lewat redis"}).state == "queued"  # not queued twice
        connection = Redis.from_url("redis://127.0.0.1:6379/15")
        SimpleWorker([jobs.QUEUE], connection=connection).work(burst=True)
        assert jobs.status(key).done and jobs.result(key) == b"lewat redis"
    finally:
        koppontren._WORKER_APP = previous
        app_ctx.config.update(JOBS_EAGER=True, REDIS_URL=None)
