"""One row per job: its lease, when it last ran and how that went, and when it runs next.

The row holds no personal data: results are counts, errors the name of the exception's class.
"""

from clubsite.database import utcnow
from clubsite.extensions import db


class JobRun(db.Model):
    """A job's lease and its last run (the runner claims the row to run the job)."""

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), nullable=False, unique=True)
    lease_owner = db.Column(db.String(64))
    lease_until = db.Column(db.DateTime(timezone=True))
    next_due = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    last_started = db.Column(db.DateTime(timezone=True))
    last_finished = db.Column(db.DateTime(timezone=True))
    last_ok = db.Column(db.Boolean)  # None: never finished
    last_success = db.Column(db.DateTime(timezone=True))  # the end of the last run that went well
    last_result = db.Column(db.String(200))  # counts such as "sent=3 failed=0"
    last_error = db.Column(db.String(80))  # the exception's class name, never its message
    run_count = db.Column(db.Integer, nullable=False, default=0)
