"""The data keys: loaded (or created) at start, and rotated by re-encrypting every encrypted
column under a new key before the old one is retired."""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from clubsite.config import ConfigError, read_or_create
from clubsite.extensions import db
from clubsite.privacy.crypto import KeyRing, KeyRingFormatError, key_id_of, reencrypt_field

BATCH = 1000


def load_data_keys(app):
    """The data key ring from CLUBSITE_DATA_KEYS or instance/data_keys.json (created if new)."""
    cfg = app.config
    if not cfg["DATA_KEYS"]:
        cfg["DATA_KEYS"] = read_or_create(
            Path(app.instance_path) / "data_keys.json", lambda: KeyRing.generate().to_json()
        )
    cfg["KEY_RING"] = parse_key_ring(cfg["DATA_KEYS"])


def parse_key_ring(text):
    """Parse the data keys, turning a format problem into a one-line ConfigError."""
    try:
        return KeyRing.from_json(text)
    except KeyRingFormatError as exc:
        raise ConfigError(
            f"data keys (CLUBSITE_DATA_KEYS or instance/data_keys.json): {exc}"
        ) from exc


def write_key_ring(app, ring):
    """Persist a new key ring where the current one came from (instance file only)."""
    if os.environ.get("CLUBSITE_DATA_KEYS"):
        raise ConfigError("data keys come from CLUBSITE_DATA_KEYS; set the new value there")
    path = Path(app.instance_path) / "data_keys.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(ring.to_json() + "\n")
    os.replace(tmp, path)
    app.config["DATA_KEYS"] = ring.to_json()
    app.config["KEY_RING"] = ring


@dataclass(frozen=True)
class EncryptedColumns:
    """A model's encrypted columns: attribute -> the column name bound into the ciphertext."""

    model: type
    table: str
    columns: dict
    row_id_attr: str = "public_id"


REGISTRY = []


def register_encrypted(model, table, columns, row_id_attr="public_id"):
    """Declare a model's encrypted columns so rotation and checks cover them."""
    REGISTRY.append(EncryptedColumns(model, table, columns, row_id_attr))


def rotate(progress=None):
    """Add a new active key, save it, and re-encrypt everything under it. Returns (old, new, n)."""
    ring = current_app.config["KEY_RING"]
    old_id = ring.active_id
    new_ring = ring.with_new_active_key()
    write_key_ring(current_app, new_ring)
    count = reencrypt_all(new_ring, progress)
    return old_id, new_ring.active_id, count


def reencrypt_all(ring, progress=None):
    """Re-encrypt every value not yet under the active key, in batches (safe to re-run)."""
    count = 0
    for spec in REGISTRY:
        last_id = 0
        while True:
            rows = db.session.scalars(
                select(spec.model)
                .where(spec.model.id > last_id)
                .order_by(spec.model.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                row_id = getattr(row, spec.row_id_attr)
                for attr, column in spec.columns.items():
                    blob = getattr(row, attr)
                    if blob is not None and key_id_of(blob) != ring.active_id:
                        setattr(
                            row,
                            attr,
                            reencrypt_field(
                                ring, blob, table=spec.table, column=column, row_id=row_id
                            ),
                        )
                        count += 1
            last_id = rows[-1].id
            db.session.commit()
            if progress:
                progress(spec.table, last_id)
    return count


def key_usage():
    """How many stored values use each key id."""
    usage = {}
    for spec in REGISTRY:
        for attr in spec.columns:
            for blob in db.session.scalars(
                select(getattr(spec.model, attr)).where(getattr(spec.model, attr).is_not(None))
            ):
                kid = key_id_of(blob)
                usage[kid] = usage.get(kid, 0) + 1
    return usage


def retire(key_id):
    """Remove an old key once no value uses it; refuse otherwise."""
    ring = current_app.config["KEY_RING"]
    used = key_usage().get(key_id, 0)
    if used:
        raise ValueError(f"key {key_id} still encrypts {used} values; run `keys rotate` to finish")
    write_key_ring(current_app, ring.without_key(key_id))
