"""Attachment downloads, with what may be hostile kept in quarantine.

Phishing e-mails (.eml), archives that may hold a malware sample (.zip) and macro-capable
office documents are never served raw: they download as a zip encrypted with AES-256
(WinZip AES, pyzipper) under the password `infected`, the convention of malware analysts, so
that no mail client, antivirus or office suite opens them by accident. AES rather than the
standard ZipCrypto: ZipCrypto is broken and some antivirus still scan inside it; 7-Zip,
WinZip, macOS Archive Utility (recent) and `7z x -pinfected` open AES zips.
"""

from __future__ import annotations

import io

import pyzipper
from django.http import FileResponse

QUARANTINED_EXTENSIONS = {"eml", "zip", "docx", "xlsx", "odt"}
PASSWORD = b"infected"


def is_quarantined(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() in QUARANTINED_EXTENSIONS if "." in name else False


def protected_zip(name: str, data: bytes) -> bytes:
    """`data` as the only member `name` of an AES-encrypted zip (password `infected`)."""
    buf = io.BytesIO()
    with pyzipper.AESZipFile(buf, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(PASSWORD)
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(name, data)
    return buf.getvalue()


def download_response(att, handle) -> FileResponse:
    """The download of one attachment: as a file, never rendered; quarantined types zipped."""
    if is_quarantined(att.original_name):
        with handle:
            payload = protected_zip(att.original_name, handle.read())
        response = FileResponse(io.BytesIO(payload), as_attachment=True,
                                filename=att.original_name + ".infected.zip",
                                content_type="application/zip")
        response["X-Archive-Password"] = PASSWORD.decode()
    else:
        response = FileResponse(handle, as_attachment=True, filename=att.original_name,
                                content_type=att.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
