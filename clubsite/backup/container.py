"""The backup file: one file, compressed, then encrypted and authenticated in chunks.

Layout (integers big-endian):
    header  MAGIC (8) | key fingerprint (8) | salt (16) | chunk size (4)
    chunks  length (4, top bit = last chunk) | AES-256-GCM ciphertext with its tag

The chunk key is HKDF-SHA256(backup key, salt), so every file has its own key and a chunk's nonce
can simply be its index (11 bytes) followed by a last-chunk flag (1 byte). The header is the
associated data of every chunk. A changed header, an altered, reordered or dropped chunk, and a
file cut short all fail authentication (the STREAM construction). Chunk 0 holds the manifest
(JSON); the others hold the payload compressed with Zstandard (level 1: five times faster than
zlib on a database that is mostly ciphertext, and smaller), whose SHA-256 the manifest records.
"""

import hashlib
import json
import os

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import lazy_gettext as _l

from clubsite.domain import DomainError

MAGIC = b"CLUBBK\x00\x01"
FINGERPRINT_BYTES = 8
SALT_BYTES = 16
HEADER_BYTES = len(MAGIC) + FINGERPRINT_BYTES + SALT_BYTES + 4
CHUNK_SIZE = 1 << 20
LAST_FLAG = 1 << 31
TAG_BYTES = 16
READ_BLOCK = 1 << 20
MIN_KEY_LENGTH = 16
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1  # higher levels cost much time and save little on ciphertext


class BackupError(DomainError):
    """A backup could not be made, read or restored; .message says why, in one line."""


def _key_bytes(key_text):
    if not key_text or len(key_text) < MIN_KEY_LENGTH:
        raise BackupError(
            _l("The backup key (CLUBSITE_BACKUP_KEY) is missing or shorter than 16 characters.")
        )
    return key_text.encode("utf-8")


def _hkdf(key_text, salt, info):
    return HKDF(hashes.SHA256(), 32, salt=salt, info=info).derive(_key_bytes(key_text))


def key_fingerprint(key_text):
    """A short, non-secret label of a backup key, to tell keys apart (hex)."""
    return _hkdf(key_text, b"", b"clubsite backup key fingerprint")[:FINGERPRINT_BYTES].hex()


def _nonce(index, last):
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _ChunkWriter:
    """Seals and writes numbered chunks."""

    def __init__(self, handle, key_text):
        salt = os.urandom(SALT_BYTES)
        fingerprint = bytes.fromhex(key_fingerprint(key_text))
        self.header = MAGIC + fingerprint + salt + CHUNK_SIZE.to_bytes(4, "big")
        self.aead = AESGCM(_hkdf(key_text, salt, b"clubsite backup v1"))
        self.handle = handle
        self.index = 0
        handle.write(self.header)

    def write(self, data, *, last=False):
        sealed = self.aead.encrypt(_nonce(self.index, last), bytes(data), self.header)
        self.handle.write((len(sealed) | (LAST_FLAG if last else 0)).to_bytes(4, "big"))
        self.handle.write(sealed)
        self.index += 1


def write_backup(path, manifest, payload_path, key_text):
    """Write manifest and payload (a file) to a new backup file at path, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        writer = _ChunkWriter(handle, key_text)
        writer.write(json.dumps(manifest, sort_keys=True).encode())
        compressor = zstandard.ZstdCompressor(level=COMPRESSION_LEVEL).compressobj()
        pending = bytearray()
        with open(payload_path, "rb") as payload:
            while block := payload.read(READ_BLOCK):
                pending += compressor.compress(block)
                while len(pending) > CHUNK_SIZE:
                    writer.write(pending[:CHUNK_SIZE])
                    del pending[:CHUNK_SIZE]
        pending += compressor.flush()
        while len(pending) > CHUNK_SIZE:
            writer.write(pending[:CHUNK_SIZE])
            del pending[:CHUNK_SIZE]
        writer.write(pending, last=True)
        handle.flush()
        os.fsync(handle.fileno())


class _ChunkReader:
    """Reads and authenticates the chunks of one backup file, in order."""

    def __init__(self, handle, key_text):
        self.handle = handle
        self.header = handle.read(HEADER_BYTES)
        if len(self.header) < HEADER_BYTES or not self.header.startswith(MAGIC):
            raise BackupError(_l("This is not a clubsite backup file (or its start is damaged)."))
        stored = self.header[len(MAGIC) : len(MAGIC) + FINGERPRINT_BYTES].hex()
        expected = key_fingerprint(key_text)
        if stored != expected:
            raise BackupError(
                _l(
                    "This backup was made with a different backup key (key %(stored)s; the "
                    "configured key is %(expected)s).",
                    stored=stored,
                    expected=expected,
                )
            )
        salt = self.header[len(MAGIC) + FINGERPRINT_BYTES : -4]
        self.chunk_size = int.from_bytes(self.header[-4:], "big")
        self.aead = AESGCM(_hkdf(key_text, salt, b"clubsite backup v1"))
        self.index = 0
        self.finished = False

    def next(self):
        """The next chunk's plaintext and whether it was the last one."""
        raw = self.handle.read(4)
        if len(raw) < 4:
            raise BackupError(_l("The backup file is truncated: its end is missing."))
        word = int.from_bytes(raw, "big")
        last, length = bool(word & LAST_FLAG), word & ~LAST_FLAG
        if not TAG_BYTES <= length <= max(self.chunk_size, 1 << 24) + TAG_BYTES:
            raise BackupError(_l("The backup file is damaged (a part has an impossible size)."))
        sealed = self.handle.read(length)
        if len(sealed) < length:
            raise BackupError(_l("The backup file is truncated: its end is missing."))
        try:
            data = self.aead.decrypt(_nonce(self.index, last), sealed, self.header)
        except InvalidTag:
            raise BackupError(
                _l("The backup file is damaged: part %(index)d fails its check.", index=self.index)
            ) from None
        self.index += 1
        if last and self.handle.read(1):
            raise BackupError(_l("The backup file is damaged: there is data after its end."))
        self.finished = last
        return data, last


def _open_reader(handle, key_text):
    reader = _ChunkReader(handle, key_text)
    data, last = reader.next()
    try:
        manifest = json.loads(data)
    except ValueError:
        raise BackupError(_l("The backup file is damaged: its manifest is unreadable.")) from None
    if last or not isinstance(manifest, dict):
        raise BackupError(_l("The backup file is damaged: its manifest is unreadable."))
    return reader, manifest


def read_manifest(path, key_text):
    """Authenticate and return a backup's manifest without reading the rest."""
    with open(path, "rb") as handle:
        return _open_reader(handle, key_text)[1]


def extract_backup(path, key_text, out_path):
    """Authenticate, decrypt and decompress the payload to out_path; return the manifest."""
    with open(path, "rb") as handle:
        reader, manifest = _open_reader(handle, key_text)
        digest = hashlib.sha256()
        size = 0
        if manifest.get("compression") != COMPRESSION:
            raise BackupError(_l("The backup's contents are not in a format this version reads."))
        inflater = zstandard.ZstdDecompressor().decompressobj()
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            while not reader.finished:
                data, _last = reader.next()
                try:
                    plain = inflater.decompress(data)
                except zstandard.ZstdError:
                    raise BackupError(
                        _l("The backup file is damaged: its contents do not decompress.")
                    ) from None
                digest.update(plain)
                size += len(plain)
                out.write(plain)
    if not inflater.eof or inflater.unused_data:
        raise BackupError(_l("The backup file is damaged: its contents do not decompress."))
    if digest.hexdigest() != manifest.get("payload_sha256") or size != manifest.get(
        "payload_bytes"
    ):
        raise BackupError(_l("The backup file is damaged: its checksum does not match."))
    return manifest
