"""Staff exports through their pages: the choice, then the encrypted archive or the plain file."""

import io
import re

import pyzipper

from tests.conftest import csrf_token


def plain_export(client, url):
    """Choose the plain file (with the warning ticked); the response is the file."""
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "protection": "plain", "understood": "y"})


def encrypted_export(client, url):
    """Choose the encrypted archive: (passphrase shown, download link, the page's response)."""
    token = csrf_token(client, url)
    page = client.post(url, data={"csrf_token": token, "protection": "encrypted"})
    text = page.get_data(as_text=True)
    passphrase = re.search(r'id="export-passphrase">([^<]+)<', text)
    link = re.search(r'href="(/office/exports/[^"]+)"', text)
    return (passphrase and passphrase.group(1)), (link and link.group(1)), page


def unzip(archive, passphrase):
    """The one file inside an encrypted archive: (name, bytes)."""
    with pyzipper.AESZipFile(io.BytesIO(archive)) as zipped:
        [info] = zipped.infolist()
        if passphrase is not None:
            zipped.setpassword(passphrase.encode())
        return info.filename, zipped.read(info.filename)
