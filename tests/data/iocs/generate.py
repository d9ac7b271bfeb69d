# ruff: noqa: E501, B023
"""Writes corpus.jsonl: hand-written snippets, templated report prose (defanged in every usual
way, English and French, with look-alike traps), e-mails (RFC 822 with encoded parts), HTML and
CSV. Deterministic: `python tests/data/iocs/generate.py` rewrites the same file.

Each line: {"id", "kind": "text"|"eml"|"html"|"csv", "text", "expected": {type: [values]}}.
Expected values are written from the source values, never computed by the engine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import quopri
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from handwritten import HAND  # noqa: E402
from reports import REPORTS  # noqa: E402
from values import Values  # noqa: E402

V = Values(20240607)
R = V.r


def defang_host(host: str, style: str) -> str:
    if style == "plain":
        return host
    if style == "last":
        a, _, b = host.rpartition(".")
        return a + "[.]" + b
    rep = {"all": "[.]", "paren": "(.)", "brace": "{.}", "dot": "[dot]", "pdot": "(dot)",
           "spaced": "[ . ]", "backslash": "\\.", "wdot": " dot "}[style]
    return host.replace(".", rep)


HOST_STYLES = ["plain", "last", "all", "all", "paren", "brace", "dot", "pdot", "spaced",
               "backslash", "last", "all"]


def defang_url(url: str, style: str) -> str:
    scheme, rest = url.split("://", 1)
    host, slash, path = rest.partition("/")
    h = defang_host(host, style if style != "wdot" else "all")
    sch = scheme
    if style != "plain":
        sch = R.choice({"http": ["hxxp", "hXXp", "hxxp", "h**p"],
                        "https": ["hxxps", "hXXps", "hxxps"], "ftp": ["fxp"]}[scheme])
    sep = R.choice(["://", "://", "[:]//", "[://]"]) if style != "plain" else "://"
    return sch + sep + h + slash + path


def defang_email(addr: str, style: str) -> str:
    local, domain = addr.split("@")
    at = {"plain": "@"}.get(style) or R.choice(["[at]", "(at)", "[@]", " [at] ", "@"])
    return local + at + defang_host(domain, style if style != "wdot" else "last")


def defang_ip(ip: str, style: str) -> str:
    if style == "plain":
        return ip
    if style in ("last", "dot", "pdot", "wdot", "spaced", "backslash"):
        a, _, b = ip.rpartition(".")
        return a + "[.]" + b
    return ip.replace(".", {"all": "[.]", "paren": "(.)", "brace": "{.}"}[style])


EN = [
    "The {actor} operators used {d} as their command-and-control domain.",
    "Initial access came from a phishing e-mail sent by {e} with a link to {u}.",
    "We observed beaconing to {ip} over TCP/443 every five minutes.",
    "The dropper (MD5 {md5}) downloads the second stage from {u}.",
    "Exploitation of {cve} allowed the attacker to deploy a web shell.",
    "The ransom note instructs victims to pay to {btc} and to visit {onion}.",
    "SHA-256 {sha256} matches the loader described in our previous report.",
    "DNS requests for {d} resolved to {ip}, a VPS rented by the actor.",
    "The implant also supports IPv6 and was seen talking to {ip6}.",
    "Indicators: {d}; {ip}; {sha1}.",
    "A scheduled task ran a script fetched from {u} (SHA1 {sha1}).",
    "Credential harvesting pages on {d} imitated the hospital's webmail.",
    "Replies were redirected to {e}, a mailbox controlled by the attacker.",
    "Hosts contacted {ip} and {ip} after the update; see also {cve}.",
]
FR = [
    "L'établissement a constaté des connexions sortantes vers {ip} pendant la nuit.",
    "Le courriel frauduleux provenait de {e} et contenait un lien vers {u}.",
    "Le domaine {d} a été enregistré la veille de la campagne.",
    "L'empreinte MD5 de la pièce jointe est {md5}.",
    "La vulnérabilité {cve} a été exploitée sur le pare-feu de l'hôpital.",
    "Les attaquants réclament une rançon sur {btc} et publient les données sur {onion}.",
    "Le fichier malveillant (SHA-256 {sha256}) a été mis en quarantaine.",
    "Le serveur {ip6} a été identifié comme relais de commande.",
    "Les postes infectés interrogeaient {d} toutes les dix minutes.",
    "Indicateurs transmis par le CERT Santé : {u} ; {ip} ; {sha1}.",
    "Un agent a saisi ses identifiants sur {u} après avoir reçu un SMS.",
    "Merci de bloquer {d} et {ip} sur vos équipements de filtrage.",
]
TRAPS = [
    "Le poste tournait sous Windows 10.0.22631.3296.",
    "Detected as Trojan.GenericKD.71234567 by several engines.",
    "The victim opened invoice.doc and report.zip.",
    "The incident happened on 14.02.2024 at 09h45.",
    "Agents of the U.S.A. and e.g. Europol helped.",
    "The switch MAC was 3C:52:82:1A:2B:3C.",
    "Version 4.2.1.7 of the agent was installed.",
    "The Android package com.android.system.update was sideloaded.",
    "ESET name: Win32/Kryptik.HVXQ; Sophos: Troj/Agent-BHVQ.",
    "Process PowerShell.exe spawned cmd.exe and rundll32.exe.",
    "The OID 1.2.840.113549.1.1.11 identifies sha256WithRSAEncryption.",
    "La réunion de crise a eu lieu à 18h30 le 02.05.2024.",
    "Le module python-requests 2.31.0 était obsolète.",
    "Un identifiant 0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e (34 caractères) figurait dans le journal.",
    "Les scripts deploy.py et install.sh ont été supprimés.",
]
ACTORS = ["LockBit", "BlackCat", "Medusa", "Rhysida", "Qilin", "8Base", "Akira", "Play"]


def templated(n: int, lang: str):
    out = []
    for i in range(n):
        tpl_list = EN if lang == "en" else FR
        k = R.randint(1, 3)
        sentences = R.sample(tpl_list, k)
        exp: dict[str, set[str]] = {}
        style = R.choice(HOST_STYLES)
        parts = []
        for s in sentences:
            def fill(s=s):
                def one(m):
                    key = m.group(1)
                    val = None
                    if key == "actor":
                        val = R.choice(ACTORS)
                    elif key == "d":
                        d = V.domain()
                        exp.setdefault("domain", set()).add(d)
                        val = defang_host(d, style)
                    elif key == "u":
                        scheme = R.choice(["http", "https", "https", "ftp"]) if style != "plain" \
                            else R.choice(["http", "https"])
                        host = V.domain() if R.random() < 0.85 else V.ipv4()
                        u = f"{scheme}://{host}{V.path()}"
                        exp.setdefault("url", set()).add(u)
                        val = defang_url(u, style)
                    elif key == "ip":
                        ip = V.ipv4()
                        exp.setdefault("ipv4", set()).add(ip)
                        val = defang_ip(ip, style)
                    elif key == "ip6":
                        ip = V.ipv6()
                        exp.setdefault("ipv6", set()).add(ip)
                        val = ip if R.random() < 0.7 else ip.upper()
                    elif key == "e":
                        e = V.email()
                        exp.setdefault("email", set()).add(e)
                        val = defang_email(e, style)
                    elif key in ("md5", "sha1", "sha256"):
                        h = getattr(V, key)()
                        exp.setdefault(key, set()).add(h)
                        val = h if R.random() < 0.6 else h.upper()
                    elif key == "cve":
                        c = V.cve()
                        exp.setdefault("cve", set()).add(c)
                        val = c if R.random() < 0.7 else c.lower()
                    elif key == "btc":
                        b = V.btc_legacy() if R.random() < 0.5 else V.btc_bech32()
                        exp.setdefault("bitcoin", set()).add(b)
                        val = b
                    elif key == "onion":
                        o = V.onion()
                        exp.setdefault("onion", set()).add(o)
                        val = o.replace(".onion", "[.]onion") if style != "plain" else o
                    return val
                return re.sub(r"\{(\w+)\}", one, s)
            parts.append(fill())
        if R.random() < 0.5:
            parts.insert(R.randint(0, len(parts)), R.choice(TRAPS))
        text = " ".join(parts)
        if R.random() < 0.25:  # markdown or bullet formatting
            text = "\n".join(f"- {p}" for p in parts)
        out.append(({t: sorted(v) for t, v in exp.items()}, text, f"{lang}-{i:03d}-{style}"))
    return out


def eml(i: int):
    sender_dom = V.domain(sub=False)
    sender = f"{R.choice(['rh', 'paie', 'direction', 'it-support', 'compta'])}@{sender_dom}"
    reply = V.email()
    ret = f"bounce-{V.hexs(6)}@{V.domain(sub=True)}"
    ip = V.ipv4()
    ip2 = V.ipv4()
    url = f"https://{V.domain()}{V.path()}"
    url_html = f"https://{V.domain()}{V.path()}"
    attach = R.randbytes(200)
    sha = hashlib.sha256(attach).hexdigest()
    body = (f"Bonjour,\n\nVeuillez consulter votre bulletin de paie sur {url}\n"
            f"Cordialement,\nLe service RH\n")
    qp = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    html_body = (f'<html><body><p>Bonjour, cliquez <a href="{url_html}">ici</a> pour '
                 f"v&eacute;rifier votre compte.</p></body></html>")
    b64html = base64.encodebytes(html_body.encode()).decode()
    b64att = base64.encodebytes(attach).decode()
    nested = i % 3 == 0
    inner_from = V.email()
    msg = (
        f"Return-Path: <{ret}>\n"
        f"Received: from mail.{sender_dom} (mail.{sender_dom} [{ip}])\n"
        f"\tby mx.chu-exemple.fr (Postfix) with ESMTPS id 4T{V.hexs(8)}; Tue, 5 Mar 2024 09:12:44 +0100\n"
        f"Received: from workstation ([{ip2}]) by mail.{sender_dom} with ESMTPSA; Tue, 5 Mar 2024 09:12:40 +0100\n"
        f"From: =?utf-8?q?Service_RH?= <{sender}>\n"
        f"Reply-To: {reply}\n"
        f"To: agent.hospitalier@chu-exemple.fr\n"
        f"Subject: =?utf-8?b?{base64.b64encode(b'Votre bulletin de paie').decode()}?=\n"
        f"Date: Tue, 5 Mar 2024 09:12:44 +0100\n"
        f"Message-ID: <{V.hexs(12)}@mail.{sender_dom}>\n"
        f"MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="b1"\n\n'
        f"--b1\n"
        f'Content-Type: multipart/alternative; boundary="b2"\n\n'
        f"--b2\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{qp}\n"
        f"--b2\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n{b64html}\n"
        f"--b2--\n"
        f'--b1\nContent-Type: application/octet-stream; name="bulletin_{i}.zip"\n'
        f'Content-Disposition: attachment; filename="bulletin_{i}.zip"\n'
        f"Content-Transfer-Encoding: base64\n\n{b64att}\n"
    )
    exp = {"email": {sender, reply, ret}, "ipv4": {ip, ip2}, "url": {url, url_html},
           "sha256": {sha}}
    if nested:
        inner_url = f"http://{V.domain()}{V.path()}"
        msg += (f"--b1\nContent-Type: message/rfc822\n\n"
                f"From: {inner_from}\nTo: someone@chu-exemple.fr\nSubject: original\n"
                f"Content-Type: text/plain; charset=utf-8\n\nLien : {inner_url}\n")
        exp["email"].add(inner_from)
        exp["url"].add(inner_url)
    msg += "--b1--\n"
    return {t: sorted(v) for t, v in exp.items()}, msg


def html_doc(i: int):
    d = V.domain()
    u = f"https://{V.domain()}{V.path()}"
    ip = V.ipv4()
    h = V.sha256()
    doc = (f"<!DOCTYPE html><html><head><title>Threat report</title><style>a{{}}</style>"
           f"<script>var cdn='https://cdn.jsdelivr-fake.example/x.js';</script></head><body>"
           f"<h1>Campaign {i}</h1><p>The actor used <code>{defang_host(d, 'last')}</code> and "
           f"<a href=\"{u}\">this page</a>.</p><table><tr><th>IP</th><th>SHA-256</th></tr>"
           f"<tr><td>{ip}</td><td>{h}</td></tr></table><p>Published 12.03.2024 &ndash; v2.1.0.4"
           f"</p></body></html>")
    return {"domain": [d], "url": [u], "ipv4": [ip], "sha256": [h]}, doc


def csv_doc(i: int):
    rows = [("type", "value", "comment")]
    exp: dict[str, set[str]] = {}
    for _ in range(R.randint(3, 6)):
        kind = R.choice(["ip", "domain", "md5", "url"])
        if kind == "ip":
            v = V.ipv4()
            exp.setdefault("ipv4", set()).add(v)
            rows.append(("ip-dst", defang_ip(v, "last"), "C2"))
        elif kind == "domain":
            v = V.domain()
            exp.setdefault("domain", set()).add(v)
            rows.append(("domain", v, "phishing, credential theft"))
        elif kind == "md5":
            v = V.md5()
            exp.setdefault("md5", set()).add(v)
            rows.append(("md5", v.upper(), "dropper"))
        else:
            v = f"http://{V.domain()}{V.path()}"
            exp.setdefault("url", set()).add(v)
            rows.append(("url", v, "payload"))
    text = "\n".join(",".join(f'"{c}"' if "," in c else c for c in r) for r in rows) + "\n"
    return {t: sorted(s) for t, s in exp.items()}, text


def main() -> None:
    entries = []
    for n, (text, exp) in enumerate(HAND):
        entries.append({"id": f"hand-{n:03d}", "kind": "text", "text": text,
                        "expected": {t: sorted(v) for t, v in exp.items()}})
    for exp, text, ident in templated(110, "en") + templated(90, "fr"):
        entries.append({"id": ident, "kind": "text", "text": text, "expected": exp})
    for i in range(20):
        exp, msg = eml(i)
        entries.append({"id": f"eml-{i:02d}", "kind": "eml", "text": msg, "expected": exp})
    for i in range(10):
        exp, doc = html_doc(i)
        entries.append({"id": f"html-{i:02d}", "kind": "html", "text": doc, "expected": exp})
    for i in range(10):
        exp, doc = csv_doc(i)
        entries.append({"id": f"csv-{i:02d}", "kind": "csv", "text": doc, "expected": exp})
    for n, (text, kind, exp) in enumerate(REPORTS):
        entries.append({"id": f"report-{n:03d}", "kind": kind, "text": text,
                        "expected": {t: sorted(v) for t, v in exp.items()}})
    with open(HERE / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for e in entries:
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(len(entries), "snippets")


if __name__ == "__main__":
    main()
