"""File downloads: the same headers for every export, and the encrypted archive exports leave in.

A personal-data export leaves as an AES-256 encrypted ZIP (WinZip AES, opened by 7-Zip, WinZip,
The Unarchiver, LibreOffice's and most archive tools) under a passphrase shown once on screen;
the flow around it (prepare, show, download once) is clubsite.web.exports.
"""

import io
import secrets

import pyzipper
from flask import Response

MIMETYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "zip": "application/zip",
    "pdf": "application/pdf",
}
# No 0/o, 1/l/i: read off a screen and typed in by hand. 5 groups of 4: about 99 bits.
PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet, no secret)
PASSPHRASE_GROUPS = 5


def download(body, filename):
    """A response the browser saves as filename (type from its extension); never cached."""
    extension = filename.rsplit(".", 1)[-1]
    return Response(
        body,
        mimetype=MIMETYPES.get(extension, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def new_passphrase():
    """A random passphrase like 'k7mq-2xpt-9wfh-c3rd-vn4b'."""
    groups = (
        "".join(secrets.choice(PASSPHRASE_ALPHABET) for _ in range(4))
        for _ in range(PASSPHRASE_GROUPS)
    )
    return "-".join(groups)


def encrypted_zip(body, filename, passphrase):
    """A ZIP archive holding one file, encrypted with AES-256 under the passphrase."""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(passphrase.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(filename, data)
    return buffer.getvalue()
