"""File downloads: the same headers for every export."""

from flask import Response

MIMETYPES = {"json": "application/json", "csv": "text/csv"}


def download(body, filename):
    """A response the browser saves as filename (type from its extension); never cached."""
    extension = filename.rsplit(".", 1)[-1]
    return Response(
        body,
        mimetype=MIMETYPES.get(extension, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
