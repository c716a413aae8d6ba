"""The app of job-runner processes in tests: the real app, with the test jobs added."""

from clubsite import create_app
from tests.jobs import sample_jobs

app = create_app()
sample_jobs.register(app)
