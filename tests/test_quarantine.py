"""Phishing e-mails and possible malware download as an AES zip (password `infected`), never
raw; ordinary documents download as they are (issue 9)."""

from __future__ import annotations

import io

import pytest
import pyzipper
from conftest import api_client_for
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

EML = (b"From: attacker@evil.example\r\nTo: dsi@hopital.example\r\nSubject: Facture\r\n"
       b"Content-Type: text/plain\r\n\r\nCliquez ici: http://evil.example/\r\n")
ZIP_SAMPLE = b"PK\x05\x06" + b"\x00" * 18


def _upload(api, report, name, content, ctype):
    response = api.post(f"/api/v1/reports/{report.pk}/attachments/",
                        {"file": SimpleUploadedFile(name, content, content_type=ctype)},
                        format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.parametrize("name,content,ctype", [
    ("phishing.eml", EML, "message/rfc822"), ("sample.zip", ZIP_SAMPLE, "application/zip")])
def test_hostile_files_download_as_an_encrypted_zip(client_for, reporter_a, analyst, report_a,
                                                    name, content, ctype):
    aid = _upload(api_client_for(reporter_a), report_a, name, content, ctype)
    answers = [api_client_for(analyst).get(f"/api/v1/reports/{report_a.pk}/attachments/{aid}/"),
               client_for(analyst).get(f"/reports/{report_a.pk}/attachments/{aid}/")]
    for response in answers:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert f'filename="{name}.infected.zip"' in response["Content-Disposition"]
        body = b"".join(response.streaming_content)
        assert content not in body
        with pyzipper.AESZipFile(io.BytesIO(body)) as archive:
            info = archive.getinfo(name)
            assert info.flag_bits & 0x1, "encrypted"
            with pytest.raises(RuntimeError):
                archive.read(name)  # no password
            archive.setpassword(b"infected")
            assert archive.read(name) == content


def test_an_ordinary_document_downloads_as_it_is(client_for, reporter_a, report_a):
    aid = _upload(api_client_for(reporter_a), report_a, "notes.txt", b"hello", "text/plain")
    response = client_for(reporter_a).get(f"/reports/{report_a.pk}/attachments/{aid}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert "no-store" in response["Cache-Control"]
