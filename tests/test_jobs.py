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
