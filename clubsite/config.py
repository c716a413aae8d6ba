"""Configuration: defaults, then instance/config.py, then CLUBSITE_* environment variables."""

import os
import secrets
import stat
import tempfile
from pathlib import Path

# Every setting the operator may change, with its default. Each may be set in instance/config.py
# under the same name without the CLUBSITE_ prefix, or in the environment with it.
DEFAULTS = {
    "DATABASE_URL": None,  # None: SQLite file instance/clubsite.sqlite3
    "MAIL_URL": None,  # None: file transport into instance/outbox
    "MAIL_FROM": "Klubs <klubs@localhost>",
    "BASE_URL": "http://127.0.0.1:8000",
    "SECRET_KEY": None,  # None: instance/secret_key (created on first start)
    "DATA_KEYS": None,  # None: instance/data_keys.json (created on first start)
    "RATELIMIT_STORAGE_URL": "memory://",
    "TRUSTED_PROXIES": 0,  # proxies in front whose X-Forwarded-For/-Proto/-Host are believed
    "BACKUP_DIR": None,  # None: instance/backups
    "BACKUP_KEY": None,  # None: instance/backup_key (created on first start)
    "AUDIT_KEY": None,  # None: instance/audit_key (created on first start); keys the audit chain
    "CLUB_NAME": "Sporta un atpūtas klubs",
    "CLUB_ADDRESS": "Brīvības iela 1, Rīga, LV-1010",
    "CLUB_EMAIL": "info@klubs.lv",
    "CLUB_PHONE": "+371 6700 0000",
    "CLUB_REG_NUMBER": "40000000000",
    # Printed on invoices: the account members pay into (IBAN) and its bank. Empty: none shown.
    "CLUB_IBAN": "",
    "CLUB_BANK": "",
    "IDLE_TIMEOUT_MINUTES": 30,
    "ABSOLUTE_TIMEOUT_HOURS": 12,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "ACCESS_GRACE_DAYS": 7,
    "INVOICE_DUE_DAYS": 14,
    # The job runner's invoice run: from this day of each month (1-28; 0: never, only by hand)
    # it issues and mails the invoices of the periods that start in the month (or as many
    # months ahead), at this hour.
    "INVOICE_RUN_DAY": 1,
    "INVOICE_RUN_MONTHS_AHEAD": 0,
    "INVOICE_RUN_HOUR": 6,
    # Overdue reminders: days after the due date, comma-separated; each is still sent up to
    # LATE_DAYS later if the job runner was down on its day.
    "INVOICE_REMINDER_DAYS": "7,21",
    "INVOICE_REMINDER_HOUR": 9,
    "INVOICE_REMINDER_LATE_DAYS": 7,
    # SEPA direct debit (fees sepa-export): the club as creditor. Empty: no collection files.
    "SEPA_CREDITOR_ID": "",  # creditor identifier from the bank, e.g. LV53ZZZ40000000000
    "SEPA_CREDITOR_IBAN": "",  # the account collections are paid into; empty: CLUB_IBAN
    "SEPA_CREDITOR_BIC": "",  # that account's bank (BIC), e.g. HABALV22
    "SEPA_CREDITOR_NAME": "",  # empty: CLUB_NAME
    # Bank statements (fees import-statement): the largest file read, and how long the payer's
    # name and reference of a line nobody could match stay for the accountant.
    "STATEMENT_MAX_MB": 25,
    "STATEMENT_UNMATCHED_DAYS": 90,
    "REVERIFY_AFTER_DAYS": 365,
    "NEWSLETTER_RATE_PER_SECOND": 50,
    "NEWSLETTER_BATCH_SIZE": 100,
    # The job runner (flask jobs run): hours are whole hours in Europe/Riga.
    "RETENTION_HOUR": 3,  # the daily retention run
    "REVERIFY_HOUR": 10,  # the daily batch of "are your details still right?" mails
    "DB_STATISTICS_HOUR": 4,  # the nightly ANALYZE (clubsite.backup.upkeep)
    "JOBS_POLL_SECONDS": 30,  # a runner looks again at least this often
    "JOBS_LEASE_SECONDS": 120,  # a dead runner's job is taken over this long after it died
    "OUTBOX_EVERY_SECONDS": 5,  # how soon a mail written by an action goes out
    "OUTBOX_GIVE_UP_HOURS": 48,  # a mail the server keeps refusing for now fails after this
    "NEWSLETTER_EVERY_SECONDS": 5,  # how soon a newsletter starts sending after Send
    "BACKUP_INTERVAL_HOURS": 24,
    "BACKUP_KEEP_DAILY": 7,
    "BACKUP_KEEP_WEEKLY": 4,
    "BACKUP_SECOND_DIR": None,
}


class ConfigError(RuntimeError):
    """A configuration problem the operator must fix; its message is one readable line."""


def load_config(app, test_config=None):
    """Fill app.config from defaults, instance/config.py, the environment and test_config."""
    for name, value in DEFAULTS.items():
        app.config[name] = value
    app.config.from_pyfile("config.py", silent=True)
    for name in DEFAULTS:
        env_value = os.environ.get(f"CLUBSITE_{name}")
        if env_value is not None:
            app.config[name] = _coerce(env_value, DEFAULTS[name])
    if test_config:
        app.config.update(test_config)
    _derive(app)


def _coerce(text, default):
    """Environment values are text; give them the type of their default."""
    if isinstance(default, bool):
        return text.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError as exc:
            raise ConfigError(f"expected a whole number, got {text!r}") from exc
    return text


def _derive(app):
    """Settings that follow from the others (paths inside instance/, Flask's own names)."""
    instance = Path(app.instance_path)
    cfg = app.config
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'clubsite.sqlite3'}"
    cfg["DATABASE_URL"] = _normalise_database_url(cfg["DATABASE_URL"])
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    cfg["MAIL_URL"] = cfg["MAIL_URL"] or f"file://{instance / 'outbox'}"
    cfg["BACKUP_DIR"] = cfg["BACKUP_DIR"] or str(instance / "backups")
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URL"]
    cfg["PREFERRED_URL_SCHEME"] = "https" if cfg["BASE_URL"].startswith("https") else "http"
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's own timeouts bound the token
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = cfg["BASE_URL"].startswith("https")
    cfg["SESSION_COOKIE_NAME"] = "clubsite_session"
    cfg["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024  # the largest upload is a spreadsheet import


def _normalise_database_url(url):
    """Use psycopg 3 for postgresql:// URLs, the driver we pin."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def ensure_instance(app):
    """Create instance/ and its secrets on first start; never overwrite existing ones."""
    instance = Path(app.instance_path)
    try:
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        # A name of its own per process: gunicorn workers and a cron sender start together.
        with tempfile.NamedTemporaryFile(dir=instance, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(f"instance folder {instance} is missing or not writable: {exc}") from exc
    cfg = app.config
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = read_or_create(instance / "secret_key", lambda: secrets.token_hex(32))
    if not cfg["BACKUP_KEY"]:
        cfg["BACKUP_KEY"] = read_or_create(
            instance / "backup_key", lambda: secrets.token_urlsafe(32)
        )
    if not cfg["AUDIT_KEY"]:
        cfg["AUDIT_KEY"] = read_or_create(instance / "audit_key", lambda: secrets.token_urlsafe(32))


def read_or_create(path, make):
    """Read a secret file, or create it with mode 0600 if it does not exist yet."""
    if path.exists():
        text = path.read_text().strip()
        if not text:
            raise ConfigError(f"{path} is empty; restore it from your backup of the keys")
        return text
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        value = make()
        handle.write(value + "\n")
    return value
