"""Jobs for the runner tests: each writes a line per event to the file TEST_JOB_LOG names."""

import os
import time

from flask import current_app

from clubsite.jobs import Every, register_job

NAMES = ["test_tick", "test_tock", "test_slow"]


def log_event(event):
    """Append "<event> <pid>" to the job log (one short write: lines never interleave)."""
    with open(current_app.config["TEST_JOB_LOG"], "a") as handle:
        handle.write(f"{event} {os.getpid()}\n")


def tick(now):
    """A quick job."""
    log_event("tick")
    return {"ticks": 1}


def tock(now):
    """Another quick job."""
    log_event("tock")
    return {"tocks": 1}


def slow(now):
    """A job that takes SLOW_JOB_SECONDS: long enough to be killed in, or to outlast its lease."""
    log_event("slow-start")
    time.sleep(float(current_app.config.get("SLOW_JOB_SECONDS", 1)))
    log_event("slow-end")
    return {"naps": 1}


def register(app):
    """Add the three jobs to an app; once an hour each, so a test sees every run it causes."""
    register_job(app, "test_tick", Every(3600), tick)
    register_job(app, "test_tock", Every(3600), tock)
    register_job(app, "test_slow", Every(3600), slow)


def read_log(path):
    """The job log as (event, pid) pairs."""
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [tuple(line.split()) for line in handle if line.strip()]
