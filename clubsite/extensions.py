"""Flask extensions, created unbound here and bound to the app in create_app."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def client_address():
    """The client's address for rate limits.

    The proxy's X-Forwarded-For counts only when CLUBSITE_TRUSTED_PROXIES says how many proxies
    stand in front (ProxyFix, in create_app); otherwise it is the address of the TCP peer.
    """
    return get_remote_address() or request.remote_addr or "unknown"


# With the shared store (Redis) unreachable, Flask-Limiter counts in this process's memory
# instead, logs one warning ("Rate limit storage unreachable") and retries the store now and then.
limiter = Limiter(key_func=client_address, headers_enabled=True, in_memory_fallback_enabled=True)

# A Redis that does not answer must not hold a request for the system's TCP timeout.
_REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def init_limiter(app):
    """Bind the limiter to the app, with short timeouts towards a Redis store."""
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(_REDIS_TIMEOUTS))
    limiter.init_app(app)
    # One limiter object serves every app a process builds (tests build many): start healthy.
    limiter._storage_dead = False


def rate_limits_degraded():
    """True while this process counts rate limits in memory because the shared store is down.

    Reads Flask-Limiter's own flag (pinned 4.1.1); it turns back when a later request finds the
    store answering again.
    """
    return bool(limiter.enabled and getattr(limiter, "_storage_dead", False))
