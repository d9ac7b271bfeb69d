"""Indicator extraction: types, refanging, canonical values, look-alikes, inputs, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from vigisante.indicators.extraction import (
    TYPES,
    ExtractionError,
    canonical,
    extract,
    extract_bytes,
    guess_type,
)


def found(text):
    return {t: v for t, v in extract(text).items() if v}


def test_every_type_key_is_present_and_sorted():
    r = extract("b.evil.ru a.evil.ru")
    assert tuple(r) == TYPES
    assert r["domain"] == ["a.evil.ru", "b.evil.ru"]
    assert extract("") == {t: [] for t in TYPES}


@pytest.mark.parametrize("text,type_,value", [
    ("hxxp://evil[.]com/gate.php", "url", "http://evil.com/gate.php"),
    ("hxxps[:]//Evil(.)COM/Path", "url", "https://evil.com/Path"),
    ("fxp://files{.}bad[dot]ru/a", "url", "ftp://files.bad.ru/a"),
    ("http[://]bad[.]ru/x", "url", "http://bad.ru/x"),
    ("hXXps://bad[ . ]ru/x", "url", "https://bad.ru/x"),
    ("see <https://bad.ru/a?b=1&amp;c=2>.", "url", "https://bad.ru/a?b=1&c=2"),
    ("(https://bad.ru/a_(b))", "url", "https://bad.ru/a_(b)"),
    ("[click](https://bad.ru/login)", "url", "https://bad.ru/login"),
    ("evil\\.com", "domain", "evil.com"),
    ("evil (dot) com", "domain", "evil.com"),
    ("evil dot com", "domain", "evil.com"),
    ("evil．com", "domain", "evil.com"),
    ("пример.рф", "domain", "xn--e1afmkfd.xn--p1ai"),
    ("1.2.3[.]4", "ipv4", "1.2.3.4"),
    ("193.0.0.1:8080", "ipv4", "193.0.0.1"),
    ("user[at]bad[.]ru", "email", "user@bad.ru"),
    ("User(at)Bad(.)RU", "email", "user@bad.ru"),
    ("a.b[@]bad.ru", "email", "a.b@bad.ru"),
    ("2001:DB8:0:0:0:0:0:1", "ipv6", "2001:db8::1"),
    ("fe80::1%eth0", "ipv6", "fe80::1%eth0"),
    ("::ffff:192.0.2.1", "ipv6", "::ffff:192.0.2.1"),
    ("D41D8CD98F00B204E9800998ECF8427E", "md5", "d41d8cd98f00b204e9800998ecf8427e"),
    ("cve-2024-1234567", "cve", "CVE-2024-1234567"),
    ("CVE 2021 44228", "cve", "CVE-2021-44228"),
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", "bitcoin",
     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad[.]onion", "onion",
     "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"),
])
def test_refanged_and_canonical(text, type_, value):
    assert value in extract(text)[type_], extract(text)


@pytest.mark.parametrize("text", [
    "Windows 10.0.19041.1 build", "OID 1.3.6.1.4.1.311.2.1.14", "open report.zip then deploy.py",
    "Win32/Agent.AD", "Trojan.GenericKD.123", "com.google.android.gms", "python-requests",
    "U.S.A. e.g. i.e.", "MAC 00:1A:2B:3C:4D:5E", "le 12.03.2024 à 14h30", "at 14:30:00",
    "300.1.1.1", "version 1.2.3.4", "deadbeef" * 3, "a" * 33 + "1", "0" * 32,
    "bitcoin 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "README.md and main.rs and run.sh",
    "System.IO and System.Net", "ASP.NET", "window.open(url)", "HEUR:Trojan.Win32.Generic",
])
def test_look_alikes_are_not_indicators(text):
    assert found(text) == {}


def test_url_host_and_email_domain_are_not_repeated():
    r = found("C2 https://bad.ru/gate and 5.6.7.8 in http://5.6.7.8/x, contact a@mail.bad.ru")
    assert r == {"url": ["http://5.6.7.8/x", "https://bad.ru/gate"], "ipv4": ["5.6.7.8"],
                 "email": ["a@mail.bad.ru"]}
    r = found("https://bad.ru/gate and mail a@mail.bad.ru")
    assert "domain" not in r and "ipv4" not in r


def test_canonical_and_guess_type():
    assert canonical("domain", "WWW.Example.COM.") == "www.example.com"
    assert canonical("domain", "a" * 10000 + ".com") is None
    assert canonical("domain", "xn--zz.com") is None
    assert canonical("domain", "report.zip") == "report.zip"  # typed by an analyst: accepted
    assert canonical("url", "HXXPS://Evil[.]COM:443/A") == "https://evil.com/A"
    assert canonical("ipv4", "010.001.002.003") == "10.1.2.3"
    assert canonical("ipv4", "256.1.1.1") is None
    assert canonical("sha256", "A" * 64) == "a" * 64
    assert canonical("nope", "x") is None
    assert guess_type("8.8.8.8") == "ipv4"
    assert guess_type("evil[.]com") == "domain"
    assert guess_type("hxxp://evil[.]com/a") == "url"
    assert guess_type("a@b.fr") == "email"
    assert guess_type("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == \
        "sha256"
    assert guess_type("cve-2020-0601") == "cve"
    assert guess_type("::1") == "ipv6"
    assert guess_type("hello world") is None


EML = b"""Return-Path: <bounce@mailer.bad-host.ru>
Received: from mx.bad-host.ru (mx.bad-host.ru [185.220.101.4])
\tby mx.hopital.fr with ESMTP; Mon, 4 Mar 2024 10:00:00 +0100
Received: from [10.0.0.5] (unknown [10.0.0.5]) by mx.bad-host.ru
From: "Service RH" <rh@paie-sante.fr>
Reply-To: rh-reply@paie-sante-secure.com
To: agent@hopital.fr
Subject: =?utf-8?q?Votre_bulletin_de_paie?=
Message-ID: <abc123@mailer.bad-host.ru>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Consultez votre bulletin : https://paie-sante-secure.com/bulletin?id=3D42&u=3D=
agent
--XX
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PGEgaHJlZj0iaHR0cHM6Ly9sb2dpbi5wYWllLXNhbnRlLXNlY3VyZS5jb20vIj5pY2k8L2E+
--XX
Content-Type: application/octet-stream; name="bulletin.zip"
Content-Disposition: attachment; filename="bulletin.zip"
Content-Transfer-Encoding: base64

UEsDBAoAAAAAAA==
--XX--
"""


def test_email_input():
    import hashlib

    r = extract_bytes(EML, "message.eml")
    assert "rh@paie-sante.fr" in r["email"] and "rh-reply@paie-sante-secure.com" in r["email"]
    assert "bounce@mailer.bad-host.ru" in r["email"]
    assert "agent@hopital.fr" not in r["email"]  # the victim is not an indicator
    assert {"185.220.101.4", "10.0.0.5"} <= set(r["ipv4"])
    assert "https://paie-sante-secure.com/bulletin?id=42&u=agent" in r["url"]
    assert "https://login.paie-sante-secure.com/" in r["url"]
    import base64

    assert hashlib.sha256(base64.b64decode("UEsDBAoAAAAAAA==")).hexdigest() in r["sha256"]


def test_html_and_csv_inputs():
    r = extract_bytes(b"<html><body><a href='http://x.bad.ru/a'>lien</a><p>1.2.3.4</p>"
                      b"<script>var a='http://script.bad.ru/'</script></body></html>")
    assert r["url"] == ["http://x.bad.ru/a"] and r["ipv4"] == ["1.2.3.4"]
    r = extract_bytes(b"type,value\nip,5.6.7.8\nurl,http://bad.ru/a,b\n", "iocs.csv")
    assert r["ipv4"] == ["5.6.7.8"] and r["url"] == ["http://bad.ru/a"]


BINARIES = [
    b"\x00\x01\x02binary" * 100, b"\x89PNG\r\n\x1a\n\0\0\0",
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\xff" * 60 + b"This program cannot be run",
    b"\x7fELF\x02\x01\x01" + b"\xe9evil.com" * 20, b"PK\x03\x04\x14\x00\x08" + b"\xc3evil.com" * 9,
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</URI (http://evil.ru/a)>>\nendobj\n",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xe9" * 100,
]


@pytest.mark.parametrize("data", BINARIES)
def test_bad_bytes_raise_a_clear_error(data):
    with pytest.raises(ExtractionError) as exc:
        extract_bytes(data)
    assert "binary" in str(exc.value)


@pytest.mark.parametrize("data,name", [
    ("Le serveur piraté évil.fr a contacté 185.220.101.4 – voir hxxp://bad[.]ru/a\n", "cp1252"),
    ("Opération « déjà vu » : C2 185.220.101.4, URL hxxp://bad[.]ru/a ; №\n", "utf-16"),
    ("Opération « déjà vu » : C2 185.220.101.4, URL hxxp://bad[.]ru/a\n", "latin-1"),
])
@pytest.mark.parametrize("filename", ["", "log.txt", "iocs.csv", "page.html"])
def test_cp1252_latin1_and_utf16_are_decoded(data, name, filename):
    raw = data.encode(name)
    if name == "latin-1":
        raw = raw.replace(b"\xe9", b"\x81\xe9", 1)  # 0x81 is undefined in cp1252
    r = extract_bytes(raw, filename)
    assert r["ipv4"] == ["185.220.101.4"] and r["url"] == ["http://bad.ru/a"], r


def test_invalid_utf8_late_in_a_streamed_file_switches_to_cp1252():
    import io

    from vigisante.indicators.extraction import extract_file

    data = ("déjà 1.2.3[.]9\n".encode() * 200000 + "Fichier reçu de évil[.]fr/x?id=1\n"
            .encode("cp1252") + b"2.3.4[.]5\n")
    r = extract_file(io.BytesIO(data))
    assert r["ipv4"] == ["1.2.3.9", "2.3.4.5"]


def test_text_starting_with_mz_is_still_text():
    assert extract_bytes(b"MZ-Team report: C2 hxxp://bad[.]ru/a\n")["url"] == ["http://bad.ru/a"]


def test_eml_part_with_a_wrong_or_unknown_charset_is_read():
    for declared, body in [("utf-8", "Caf\xe9 : voir hxxp://bad[.]ru/a 185.220.101.4\n"
                            .encode("cp1252")),
                           ("x-unknown-42", b"voir hxxp://bad[.]ru/a 185.220.101.4\n"),
                           ("utf-16", b"voir hxxp://bad[.]ru/a 185.220.101.4\n"),
                           ("us-ascii", "\xe9t\xe9 hxxp://bad[.]ru/a 185.220.101.4\n"
                            .encode("latin-1"))]:
        eml = (b"From: a@sender.fr\nTo: b@chu.fr\nSubject: test\nMIME-Version: 1.0\n"
               b"Content-Type: text/plain; charset=" + declared.encode() + b"\n"
               b"Content-Transfer-Encoding: 8bit\n\n" + body)
        r = extract_bytes(eml, "m.eml")
        assert r["url"] == ["http://bad.ru/a"] and r["ipv4"] == ["185.220.101.4"], declared


def test_explicit_encoding():
    assert extract_bytes(b"caf\xe9 evil.com\n", encoding="cp1252")["domain"] == ["evil.com"]
    with pytest.raises(ExtractionError):
        extract_bytes(b"caf\xe9 evil.com\n", encoding="utf-8")


def run_cli(*args, stdin=b""):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["VIGISANTE_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"  # never used
    return subprocess.run([sys.executable, "-m", "vigisante.cli", "iocs", *args], input=stdin,
                          capture_output=True, env=env, timeout=120)


def test_cli_json_and_listing(tmp_path):
    done = run_cli("--json", stdin=b"C2 hxxp://bad[.]ru/a 10.1.2.3 8.8.4[.]4")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    assert list(obj) == list(TYPES)
    assert obj["url"] == ["http://bad.ru/a"] and obj["ipv4"] == ["8.8.4.4"]
    done = run_cli("--json", "--keep-private", stdin=b"10.1.2.3")
    assert json.loads(done.stdout)["ipv4"] == ["10.1.2.3"]
    f = tmp_path / "m.eml"
    f.write_bytes(EML)
    done = run_cli(str(f))
    assert done.returncode == 0
    out = done.stdout.decode()
    assert "185.220.101.4" in out and "bulletin.zip" in out and "10.0.0.5" not in out


@pytest.mark.parametrize("data", [b"\x00" * 5000, b"\xff\xfe\xfa" + b"x" * 10,
                                  b"caf\xe9\n", b"a" * 10000 + b".com\n"])
def test_cli_bad_input_has_a_clear_message(data, tmp_path):
    f = tmp_path / "in.txt"
    f.write_bytes(data)
    done = run_cli(str(f))
    assert b"Traceback" not in done.stderr
    if done.returncode:
        assert done.returncode == 1 and done.stderr.startswith(b"vigisante iocs: ")
    else:
        assert b"No indicator found" in done.stdout


def test_cli_reads_cp1252_and_utf16(tmp_path):
    f = tmp_path / "journal.log"
    f.write_bytes("Connexion refusée depuis 185.220.101.4 à 10h\n".encode("cp1252"))
    done = run_cli("--json", str(f))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ipv4"] == ["185.220.101.4"]
    done = run_cli("--json", stdin="Hôte hxxp://bad[.]ru/a\n".encode("utf-16"))
    assert done.returncode == 0 and json.loads(done.stdout)["url"] == ["http://bad.ru/a"]
    done = run_cli(stdin=b"\x7fELF\x02\x01\x01" + b"\xe9" * 100)
    assert done.returncode == 1 and b"binary" in done.stderr


def test_cli_missing_file_and_directory(tmp_path):
    for path in (str(tmp_path / "missing.txt"), str(tmp_path)):
        done = run_cli(path)
        assert done.returncode == 1 and b"Traceback" not in done.stderr


def test_large_input_is_streamed():
    import io

    from vigisante.indicators.extraction import extract_file

    line = b"nothing to see here, just words and words 12.5 percent\n"
    data = line * 60000 + b"last line hxxp://late[.]bad.ru/x\n"
    assert extract_file(io.BytesIO(data))["url"] == ["http://late.bad.ru/x"]


@pytest.mark.parametrize("text,url", [
    ("Le C2 hxxps://cdn-update[.]net/wp-content/\nuploads/2024/03/loader.php a été observé.",
     "https://cdn-update.net/wp-content/uploads/2024/03/loader.php"),
    ("URL: hxxps://update-micro-\nsoft[.]com/download/setup.exe",
     "https://update-micro-soft.com/download/setup.exe"),
    ("payload at https://evil.com/dl/stage-\n2.bin today", "https://evil.com/dl/stage-2.bin"),
    ("https://evil.com/gate.php?id=\n4242&k=1 was seen", "https://evil.com/gate.php?id=4242&k=1"),
    ("Voir https://evil.com/a/b/\r\nc/d.php ici", "https://evil.com/a/b/c/d.php"),
])
def test_url_wrapped_in_a_pdf_export_is_rejoined(text, url):
    assert extract(text)["url"] == [url]
    filler = "Le centre hospitalier a basculé en mode dégradé pendant trois jours. " * 40
    assert url in extract(filler + "\n" + text + "\n" + filler)["url"]  # the prefilter path


@pytest.mark.parametrize("text,urls", [
    ("https://evil.com/\nevil2.org\n", ["https://evil.com/"]),
    ("https://evil.com/a/\nevil2[.]org/x.php\n", ["evil2.org/x.php", "https://evil.com/a/"]),
    ("See https://evil.com/\nThe attacker then left.", ["https://evil.com/"]),
    ("See https://evil.com/files/\n2024-03-01 next day", ["https://evil.com/files/"]),
    ("hxxp://evil[.]com/dl/\nhxxp://bad[.]ru/x", ["http://bad.ru/x", "http://evil.com/dl/"]),
])
def test_unrelated_next_lines_are_not_joined(text, urls):
    assert extract(text)["url"] == urls


def test_quoted_printable_soft_break_in_a_url():
    eml = (b"From: a@sender.fr\nTo: b@chu.fr\nSubject: lien\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n"
           b"\nMerci de v=C3=A9rifier https://paie-sante-secure.com/bulletin/2024/consult=\n"
           b"er.php?id=3D42&u=3Dagent avant lundi.\n")
    assert extract_bytes(eml, "m.eml")["url"] == [
        "https://paie-sante-secure.com/bulletin/2024/consulter.php?id=42&u=agent"]


@pytest.mark.parametrize("text", ["DestinationHostname|endswith: '.tunnel-relay.top'",
                                  "wildcard *.tunnel-relay.top", "- .tunnel-relay.top"])
def test_domain_written_with_a_leading_dot_or_wildcard(text):
    assert extract(text)["domain"] == ["tunnel-relay.top"]


def test_leading_dot_does_not_cut_longer_names():
    assert extract("log...evil.com, (.co.uk), .NET 4.8, .htaccess, a.b.evil.com")["domain"] == [
        "a.b.evil.com"]
