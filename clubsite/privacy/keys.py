"""Key rotation: re-encrypt every encrypted column under a new key, then retire the old one."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from clubsite.config import write_key_ring
from clubsite.extensions import db
from clubsite.privacy.crypto import key_id_of, reencrypt_field

BATCH = 1000


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
