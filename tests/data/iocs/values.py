"""Deterministic valid values for the corpus (bitcoin and onion addresses need checksums)."""

from __future__ import annotations

import base64
import hashlib
import random

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def b58check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _polymod(values):
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def _convertbits(data, frombits, tobits):
    acc = bits = 0
    ret = []
    for v in data:
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & ((1 << tobits) - 1))
    if bits:
        ret.append((acc << (tobits - bits)) & ((1 << tobits) - 1))
    return ret


def bech32(witver: int, prog: bytes) -> str:
    hrp = "bc"
    data = [witver] + _convertbits(prog, 8, 5)
    const = 1 if witver == 0 else 0x2BC830A3
    exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(exp + data + [0] * 6) ^ const
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data + chk)


def onion_v3(pub: bytes) -> str:
    chk = hashlib.sha3_256(b".onion checksum" + pub + b"\x03").digest()[:2]
    return base64.b32encode(pub + chk + b"\x03").decode().lower() + ".onion"


class Values:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def hexs(self, n: int) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def md5(self):
        return self.hexs(32)

    def sha1(self):
        return self.hexs(40)

    def sha256(self):
        return self.hexs(64)

    def btc_legacy(self):
        return b58check(bytes([self.r.choice((0, 5))]) + self.r.randbytes(20))

    def btc_bech32(self):
        if self.r.random() < 0.5:
            return bech32(0, self.r.randbytes(20))
        return bech32(1, self.r.randbytes(32))

    def onion(self):
        return onion_v3(self.r.randbytes(32))

    def ipv4(self):
        first = self.r.choice([5, 23, 31, 37, 45, 46, 62, 77, 79, 80, 85, 89, 91, 93, 94, 95,
                               103, 104, 109, 141, 146, 147, 151, 176, 178, 179, 185, 188, 193,
                               194, 195, 212, 213, 217])
        return f"{first}.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"

    def ipv6(self):
        groups = [f"{self.r.randint(0, 0xffff):x}" for _ in range(5)]
        return f"2a0{self.r.randint(1, 9)}:{groups[0]}:{groups[1]}::{groups[2]}"

    def cve(self):
        return f"CVE-{self.r.randint(2014, 2025)}-{self.r.randint(1000, 52000)}"

    WORDS = ("secure", "login", "update", "portal", "verify", "account", "mail", "cdn", "sync",
             "office", "ameli", "sante", "paie", "rh", "doctolib", "dossier", "patient",
             "facture", "colis", "livraison", "microsoft", "teams", "sharepoint", "docs",
             "invoice", "support", "helpdesk", "vpn", "citrix", "remote", "auth", "sso", "okta",
             "cloud", "files", "drive", "storage", "backup", "api", "gate", "panel", "static")
    TLDS = ("com", "net", "org", "ru", "top", "xyz", "info", "fr", "online", "site", "live",
            "shop", "su", "io", "cc", "biz", "icu", "club", "co.uk", "com.br", "eu", "de", "in")

    def domain(self, sub: bool | None = None):
        w = self.r.sample(self.WORDS, 2)
        name = f"{w[0]}-{w[1]}" if self.r.random() < 0.6 else f"{w[0]}{w[1]}"
        if self.r.random() < 0.3:
            name += str(self.r.randint(1, 99))
        d = f"{name}.{self.r.choice(self.TLDS)}"
        if sub or (sub is None and self.r.random() < 0.3):
            d = f"{self.r.choice(self.WORDS)}.{d}"
        return d

    def path(self):
        parts = self.r.choice([
            "/gate.php", "/wp-content/plugins/x/load.php", "/login", "/secure/auth.html",
            "/dl/invoice.zip", "/api/v2/beacon", "/b/", "/index.php?id={}", "/update.exe",
            "/files/{}/doc.pdf", "/s/{}", "/owa/auth/logon.aspx", "/c2/poll?uid={}",
        ])
        return parts.replace("{}", self.hexs(8))

    def email(self, domain=None):
        local = self.r.choice(["contact", "support", "rh.paie", "no-reply", "facturation",
                               "j.martin", "admin", "security-alert", "helpdesk", "compta"])
        return f"{local}@{domain or self.domain(sub=False)}"
