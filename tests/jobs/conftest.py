"""Fixtures for the job runner: test jobs on the app, and runner processes."""

import threading

import pytest

from clubsite.jobs import Every, register_job
from clubsite.jobs.cli import cli as jobs_cli
from tests.jobs.processes import RunnerProcesses


@pytest.fixture
def job_calls():
    """What the in-process test jobs did: a list of (job name, thread name)."""
    return []


@pytest.fixture
def add_job(app, job_calls):
    """Register a job on the test app that records its calls; returns its name."""
    lock = threading.Lock()

    def add(name, schedule=None, *, result=None, error=None, pause=0.0):
        def func(now):
            with lock:
                job_calls.append((name, threading.current_thread().name))
            if pause:
                threading.Event().wait(pause)
            if error is not None:
                raise error
            return result if result is not None else {"calls": 1}

        register_job(app, name, schedule or Every(3600), func)
        return name

    return add


@pytest.fixture
def jobs_runner(app, runner):
    """The CLI runner with the `jobs` group on the app."""
    app.cli.add_command(jobs_cli)
    return runner


@pytest.fixture
def runner_processes(app, tmp_path):
    """Start job runner processes; those still running are killed after the test."""
    processes = RunnerProcesses(app, tmp_path)
    yield processes
    processes.close()
