"""The extraction engine: refang, find candidates with compiled regexes, validate, canonicalise.

Pure Python, no Django. Every value returned is canonical (see `canonical`).
"""

from __future__ import annotations

import bisect
import codecs
import functools
import ipaddress
import re
import urllib.parse

from . import _checks

TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "cve", "bitcoin",
         "onion")

#: Marks a dot that was defanged in the input ("[.]", "(dot)", ...): the author flagged the value
#: as an indicator, so the look-alike heuristics (file extensions, code) do not apply to it.
DDOT = "\ue000"

# --- refanging -----------------------------------------------------------------------------------

_UNICODE_MAP = {
    0x3002: ".", 0xFF0E: ".", 0xFF61: ".", 0x2024: ".", 0xFE52: ".",
    0xFF20: "@", 0xFE6B: "@", 0xFF1A: ":", 0xFE55: ":", 0xFF0F: "/", 0x2044: "/",
    0x200B: None, 0x200C: None, 0x200D: None, 0x2060: None, 0xFEFF: None, 0x00AD: None,
    0x00A0: " ", 0x202F: " ", 0x2009: " ",
    # hyphens that word processors put in names ("colissimo‑suivi.fr")
    0x2010: "-", 0x2011: "-",
}

_BRACKETED = re.compile(
    r"""\s?[\[\(\{]\s*(\.|dot|d0t|punto|point|:|://|:/|//|/|@|at)\s*[\]\)\}]\s?"""
    r"""|\\\.|\[\.(?=[a-z]{2,}\])""",
    re.IGNORECASE,
)
#: "2a03:b0c0:3:d0[::]12f:b001": a defanged IPv6 (not "[::]:443", all interfaces).
_BRACKETED_V6 = re.compile(r"(?<=[0-9A-Fa-f])[\[\(\{]::[\]\)\}](?=[0-9A-Fa-f])")
_BRACKET_MAP = {".": DDOT, "dot": DDOT, "d0t": DDOT, "punto": DDOT, "point": DDOT, ":": ":",
                "://": "://", ":/": ":/", "//": "//", "/": "/", "@": "@", "at": "@"}
_SCHEME = re.compile(r"\b(?:h(?:xx|XX|\*\*|__|ttx|xxx|tt)p|hxp|fxp|fxxp|fxxps)(s?)(?=:/|\s*:\s*/)",
                     re.IGNORECASE)
_SCHEME_BRACKET = re.compile(r"\b(https?|ftp)\[(s?)\](?=:)", re.IGNORECASE)
_BARE_DOT = re.compile(r"(?<=[A-Za-z0-9])[ \t]+(?:dot|DOT)[ \t]+(?=([A-Za-z0-9-]+))")
_BARE_AT = re.compile(
    r"(?<=[A-Za-z0-9._-])[ \t]+(?:at|AT|@)[ \t]+(?=[A-Za-z0-9-]+(?:\.|\ue000|[ \t]+dot[ \t]))"
)
_BARE_AT_SIGN = re.compile(r"(?<=[A-Za-z0-9._-])[ \t]+@[ \t]+(?=[A-Za-z0-9-]+(?:\.|\ue000))")
_COMMON_TLDS = frozenset(
    "com net org info biz ru cn su io co fr de uk xyz top online site club me tk ml ga cf gq pw cc "
    "ws in ir kp ua by kz eu us ca br jp kr tw hk sg nl be ch it es pl cz ro hu bg gr tr il am "
    "shop store live app dev cloud link click icu vip win bid loan work space tech website fun "
    "onion bit".split())
_STOPWORDS = frozenset("a an the one red blue green black white this that each per no any every "
                       "single small big little first last".split())


def _bare_dot(m: re.Match) -> str:
    right = m.group(1).lower()
    left_start = m.string.rfind(" ", 0, m.start()) + 1
    left = m.string[left_start:m.start()].lower()
    hostlike = "-" in left or "://" in left or any(c.isdigit() for c in left)
    if left in _STOPWORDS or not (right in _COMMON_TLDS or right.isdigit() or
                                  (hostlike and right in _checks.tlds())):
        # a digit on the right is an IP written "1 dot 2 dot 3 dot 4"
        nxt = m.string[m.end() + len(m.group(1)):m.end() + len(m.group(1)) + 6].lower()
        if not nxt.strip().startswith("dot"):
            return m.group(0)
    return DDOT


_UNICODE_CHARS = tuple(chr(k) for k in _UNICODE_MAP)


_UNICODE_RX = re.compile("[" + re.escape("".join(_UNICODE_CHARS)) + "]")
_UNICODE_SUB = {chr(k): (v or "") for k, v in _UNICODE_MAP.items()}


def normalise_unicode(text: str) -> str:
    """Full-width and ideographic dots, at signs, colons, slashes; drop zero-width characters.
    (A regex finds the few characters to replace: str.translate would look up every one.)"""
    if not text.isascii() and any(c in text for c in _UNICODE_CHARS):
        return _UNICODE_RX.sub(lambda m: _UNICODE_SUB[m.group()], text)
    return text


def refang(text: str, *, unicode: bool = True) -> str:
    """Undo the usual defanging; defanged dots become DDOT (a private-use character)."""
    if unicode:
        text = normalise_unicode(text)
    if "\\/" in text and ":\\/\\/" in text:  # JSON-escaped URLs: "http:\/\/evil.com\/gate"
        text = text.replace("\\/", "/")
    if "[" in text or "(" in text or "{" in text or "\\" in text:
        if "::" in text:
            text = _BRACKETED_V6.sub("::", text)
        text = _BRACKETED.sub(_bracket, text)
    if "-\n" in text or "-\r\n" in text:
        text = _WRAP_HYPHEN.sub("-", text)
    if _digit_dot_at_line_end(text):
        text = _WRAP_DOT.sub(_wrap_dot, text)
    low_check = text
    if "xx" in low_check or "XX" in low_check or "**" in low_check or "__" in low_check or \
            "fxp" in low_check.lower() or "hxp" in low_check.lower() or "ttx" in low_check:
        text = _SCHEME.sub(lambda m: ("ftp" if m.group(0)[0] in "fF" else "http") + m.group(1),
                           text)
    if "[" in text:
        text = _SCHEME_BRACKET.sub(lambda m: m.group(1) + m.group(2), text)
    if " dot " in text or " DOT " in text or "\tdot" in text:
        text = _BARE_DOT.sub(_bare_dot, text)
        if " at " in text or " AT " in text or " @ " in text:
            # "john at evil dot com": only before a defanged domain
            text = _BARE_AT.sub(_bare_at, text)
    elif " @ " in text:  # "noreply @ evil[.]com" (a plain "at" is English: "relay at x[.]y")
        text = _BARE_AT_SIGN.sub(_bare_at, text)
    return text


#: A host name cut after a hyphen at a line end ("cdn-teams-" / "update.health"), as PDF-to-text
#: converters give it: joined when the next line starts with the rest of a dotted name.
_WRAP_HYPHEN = re.compile(
    r"(?<=[A-Za-z0-9])-[ \t]*\r?\n[ \t]*"
    r"(?=[A-Za-z0-9][A-Za-z0-9-]*(?:[.\ue000][A-Za-z0-9-]+)*[.\ue000][A-Za-z]{2,}(?![\w\ue000-]))")
#: An IPv4 address cut after a dot at a line end ("the IP 193." / "149.176.42").
_WRAP_DOT = re.compile(r"(?<![\w.\ue000])(\d{1,3}(?:\.\d{1,3}){0,2}\.)[ \t]*\r?\n[ \t]*"
                       r"(\d{1,3}(?:\.\d{1,3}){0,2})(?![\w\ue000]|[.\ue000]\d)")


def _digit_dot_at_line_end(text: str) -> bool:
    """A digit then a dot at a line end (cheaper than the regex: most are sentence ends)."""
    find = text.find
    for end in (".\n", ".\r\n"):
        i = find(end)
        while i > 0:
            if text[i - 1].isdigit():
                return True
            i = find(end, i + 2)
    return False


def _wrap_dot(m: re.Match) -> str:
    if m.group(1).count(".") + m.group(2).count(".") == 3:
        return m.group(1) + m.group(2)
    return m.group(0)


def _bare_at(m: re.Match) -> str:
    # "john at evil dot com": only when the right side became a (defanged) domain
    end = m.end()
    tail = m.string[end:end + 300]
    dm = re.match(r"[A-Za-z0-9-]+(?:[.\ue000][A-Za-z0-9-]+)+", tail)
    if dm and DDOT in dm.group(0):
        return "@"
    return m.group(0)


def _bracket(m: re.Match) -> str:
    s = m.group(0)
    if s == "\\.":
        return DDOT
    if s == "[.":
        return DDOT
    inner = m.group(1)
    key = inner.lower()
    rep = _BRACKET_MAP[key]
    return rep


# --- candidate patterns --------------------------------------------------------------------------

_D = r"[.\ue000]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_ULABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_TLD = r"(?:[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]|xn--[A-Za-z0-9-]{1,59})"
_UTLD = r"(?:[^\W\d_][\w-]{0,61}[^\W_]|xn--[A-Za-z0-9-]{1,59})"

_NOT_URL = "\\s<>\"'`{}|\\\\^\\[\\]\u00ab\u00bb\u201c\u201d\u2018\u2019\u2026"
_PATH = r"(?:[/?#][^" + _NOT_URL + r"]*)?"
_URL = re.compile(
    r"(?i)\b(?:https?|ftps?|sftp|wss?|smb|file|rdp|ssh|telnet|irc|tcp|udp|ldaps?|rmi|dns)://"
    r"(?:[^\s/?#<>\"'`{}|\\^\[\]@]+@)?"
    r"(?:\[[0-9a-f:.]+(?:%[\w.-]+)?\]|[^\s/?#<>\"'`{}|\\^\[\]]+)" + _PATH
)
_EMAIL_LOCAL = r"[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*"
_EMAIL = re.compile(
    r"(?<![\w.+-])(" + _EMAIL_LOCAL + r")@((?:" + _LABEL + _D + r")+" + _TLD + r")(?![\w-]|" + _D
    + r"\w)"
)
_UEMAIL = re.compile(
    r"(?<![\w.+-])([\w!#$%&'*+=?^`{|}~-]+(?:\.[\w!#$%&'*+=?^`{|}~-]+)*)@((?:" + _ULABEL + _D
    + r")+" + _UTLD + r")(?![\w-]|" + _D + r"\w)"
)
_DOMAIN = re.compile(
    r"(?:(?<![\w.\ue000@/\\-])|(?<=(?<![^\s'\"`(\[,*])\.)|(?<=(?<![^\s'\"(=])\\\\))"
    r"((?:" + _LABEL + _D + r")+" + _TLD + r")[.\ue000]?(?![\w\ue000-]|" + _D
    + r"\w)((?::\d{1,5})?/[^" + _NOT_URL + r"]+)?"
)
_UDOMAIN = re.compile(
    r"(?:(?<![\w.\ue000@/\\-])|(?<=(?<![^\s'\"`(\[,*])\.)|(?<=(?<![^\s'\"(=])\\\\))"
    r"((?:" + _ULABEL + _D + r")+" + _UTLD + r")[.\ue000]?(?![\w\ue000-]|" + _D
    + r"\w)((?::\d{1,5})?/[^" + _NOT_URL + r"]+)?"
)
_IPV4 = re.compile(
    r"(?:(?<![\w.\ue000-])|(?<=\d-))(\d{1,3}" + _D + r"\d{1,3}" + _D + r"\d{1,3}" + _D + r"\d{1,3})"
    r"(?![\w\ue000]|" + _D + r"\d)(/\d{1,2}(?![\w/.]))?"
)
_IPV6 = re.compile(
    r"(?<![\w:.\ue000])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?)"
    r"(%[0-9A-Za-z._-]+)?(?![\w:]|\.\d)"
)
_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32}(?:[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?)?"
                  r"(?![0-9A-Za-z])")
_CVE = re.compile(r"(?i)(?<![\w-])cve[\s_\u2010-\u2014-]?((?:19|20)\d\d)[\s_\u2010-\u2014-]+"
                  r"(\d{4,7})(?!\d)")
_BTC_LEGACY = re.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![\w])")
_ONION_BACK = re.compile(r"(?<![a-z0-9-])([a-z2-7]{56}|[a-z2-7]{16})\Z")
_BTC_BECH32 = re.compile(r"(?i)(?<![\w])bc1[02-9ac-hj-np-z]{11,87}(?![\w])")
_ONION = re.compile(r"(?i)(?<![\w-])(?:[a-z0-9-]+[.\ue000])*([a-z2-7]{56}|[a-z2-7]{16})"
                    r"[.\ue000]onion(?![\w-])")
_RANGE_START = re.compile(r"(?<![\w.\ue000])\d{1,3}(?:" + _D + r"\d{1,3}){3}-\Z")
_V6_BEFORE = re.compile(r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:$")
_VERSION_CONTEXT = re.compile(
    r"(?i)(?:\b(?:version|versions|ver\.?|build|release|firmware|v\.?|kb|update|patch|oid|snmp|"
    r"section|sections|chapter|chapitre|paragraphe|article|art\.|§|rule|règle|step|étape)"
    r"\s*[:#n°]*\s*|\bOID\b.{0,60})$"
)

# --- look-alike heuristics -----------------------------------------------------------------------

#: Top-level domains that are more often file extensions than domains in report text.
FILE_EXTENSION_TLDS = frozenset(
    "zip mov py sh pl pm rs md ps so mk tf gd bz one pub run sc cab mo java save srt".split()
)
_AV_PREFIXES = frozenset(
    "trojan backdoor worm ransom ransomware heur win32 win64 w32 w64 msil gen generic exploit pua "
    "pup adware riskware hacktool spyware trojandownloader trojanspy trojandropper virus "
    "virtool js vbs linux android osx macos unix html script downloader dropper malware "
    "hacktool application program not-a-virus troj bkdr tspy tsc pws psw "
    "variant suspicious mal behavior behaviour".split()
)
_REVERSE_DNS_FIRST = frozenset("com org net io fr de uk edu gov android java javax androidx "
                               "kotlin".split())
_TECH_NAMES = frozenset("asp.net vb.net ado.net node.js vue.js next.js nuxt.js socket.io "
                        "chart.js three.js".split())
_CAMEL = re.compile(r"[a-z][A-Z]")
#: First names of two-label code expressions (`self.name`, `os.system`, `this.run`).
_CODE_OBJECTS = frozenset(
    "self this window document os sys re json console math string process system wscript "
    "shell obj object req res request response args kwargs config settings app ctx context "
    "data item el elem node event e err error exc logger log file f fh path result params "
    "options opts module exports super cls np pd plt".split()
)


def _looks_like_name(raw: str, start: int, text: str) -> bool:
    """True if a plain (not defanged) dotted candidate is rather a file, code or AV name."""
    labels = raw.split(".")
    tld = labels[-1]
    low = raw.lower()
    if tld.lower() in FILE_EXTENSION_TLDS and labels[0].lower() != "www":
        return True
    if tld == "app" and len(labels) == 2 and labels[0][:1].isupper():
        return True  # a macOS application bundle: "Safari.app", "Teams.app"
    if low in _TECH_NAMES:
        return True
    if any(c.isupper() for c in tld) and not raw.isupper():
        return True
    if _CAMEL.search(raw):
        return True
    first = labels[0].lower()
    if first in _AV_PREFIXES and not (len(labels) == 2 and raw.islower() and len(tld) >= 3 and
                                      tld != "win"):
        return True  # "Trojan.Agent.Win", but "ransomware.live" (a site) is a domain
    if len(labels) == 2 and first in _CODE_OBJECTS:
        return True
    if len(labels) >= 3 and first in _REVERSE_DNS_FIRST:
        return True
    end = start + len(raw)
    nxt = text[end:end + 1]
    if nxt == "(" or nxt == "=" and text[end + 1:end + 2] != "=":
        return True
    prev = text[start - 1:start] if start else ""
    if prev == ":" and start >= 2:
        # "HEUR:Trojan.Win32..." or "Gen:Variant..."; a "label:" before a value is fine
        word = re.search(r"([A-Za-z-]+):$", text[max(0, start - 30):start])
        if word and word.group(1).lower() in _AV_PREFIXES:
            return True
    return False


#: A word after a dotted quad that makes it a version ("7.0.12.1 and later", "5.15.0.91-generic").
_VERSION_AFTER = re.compile(
    r"(?i)(?:-[a-z]|\s*(?:\(?build\b|release\b|version\b|update\b|x64\b|x86\b|"
    r"lts\b|beta\b|rc\d*\b|(?:and|or|&) (?:later|earlier|above|below|newer|older|prior)\b|"
    r"(?:et|ou) (?:ultérieure|antérieure|supérieure|inférieure|plus récente)|\+|%))")
#: A word before a dotted quad that names a figure, a table or a span of versions.
_VERSION_BEFORE = re.compile(
    r"(?i)\b(?:fig\.?|figure|figures|table|tableau|annexe?|appendix|prior to|earlier than|"
    r"older than|newer than|later than|antérieures? à|postérieures? à|jusqu'à la|"
    r"up to|from version|de la version|"
    r"jdk|jre|java|node|nodejs|python|php|perl|ruby|openssl|openssh|kernel|noyau|linux|"
    r"windows|chrome|chromium|firefox|edge|safari|office|outlook|android|ios|macos|esxi|"
    r"vcenter|exchange|sharepoint|tomcat|apache|nginx|iis|firmware|bios|plugin|"
    r"plug-in|sdk|driver|pilote|library|package|paquet|module|logiciel|software|product|"
    r"produit|engine|moteur|signatures?|definitions?|définitions?)"
    r"[\"']?[ \t]*[:#=]?[ \t]*[\"']?[ \t]*$")
#: "Chrome/120.0.0.0" (a user agent), AssemblyVersion("1.0.0.0"), FileVersion = 2.1.0.0.
_VERSION_CALL = re.compile(r"(?i)(?:\b[A-Za-z][\w.-]*/|version\w*[ \t\"'(=:]+)$")
#: A capitalised word right before ("Connect 4.2.1.0", but not "Server 10.0.0.5").
_WORD_BEFORE = re.compile(r"\b([A-Z][a-z]+)[ \t]+$")
#: A CamelCase product name right before (FortiGate, OpenSSL, NetScaler, iOS, vCenter).
_PRODUCT_BEFORE = re.compile(r"\b[A-Za-z]*[a-z][A-Z][\w-]*[ \t]*[:#]?[ \t]*$")
#: A dotted number followed by "and", "or", a comma... just before ("2.4.49 and 2.4.50.1").
_LISTED_AFTER = re.compile(r"(?i)(?<![\w.])(\d{1,3}(?:\.\d{1,3})+[a-z]?)(?:,|[ \t]+(?:and|or|"
                           r"et|ou|to|à|through|thru|-|–))[ \t]+$")
#: Squid's hierarchy codes before the peer's address ("HIER_DIRECT/40.126.31.71").
_LOG_CODE_BEFORE = re.compile(r"\b[A-Z]+_[A-Z_]+/$")
#: An acronym naming a product right before ("Ivanti EPMM 12.1.0.1", "Cisco IOS XE 17.9.1.1").
_ACRONYM_BEFORE = re.compile(r"\b([A-Z][A-Z0-9]{1,7})[ \t]+$")
_ADDRESS_ACRONYMS = frozenset(
    "IP IPS IPV4 DC DNS VPN C2 CNC RDP SMB SSH HTTP HTTPS TCP UDP NAT WAN LAN DMZ SRC DST GW NS "
    "MX PTR A AAAA IOC IOCS FW AD VM PC NAS ASN AS CIDR URL SMTP FTP SFTP NTP DHCP TOR HOST "
    "PROXY SRV DNAT SNAT TO FROM OR AND ET OU".split())
_LINE_START = re.compile(r"(?:\A|\n)[ \t]*\Z")
#: After a section number: a capitalised word, then lower case ("Lateral movement").
_HEADING_AFTER = re.compile(r"[ \t]+[A-Z][a-z]+(?:[ \t]+[a-z]+)*[ \t]*(?:\r?\n|\Z)")
_VERSION_HEADER = re.compile(r"(?i)\b(?:versions?|build|release|firmware|patch|correctif|"
                             r"fixed in|corrigée?)\b")
_ADDRESS_HEADER = re.compile(r"(?i)\b(?:ip|ipv4|ips|address|addresses|adresses?|host|hosts|"
                             r"hôtes?|indicators?|indicateurs?|iocs?|c2|c&c|serveurs?|servers?|"
                             r"source|destination|dst|src|remote|peer)\b")
#: Words before an address that a capitalised product name is not.
_ADDRESS_WORD = re.compile(r"(?i)\A(?:server|serveur|host|hôte|gateway|passerelle|proxy|"
                           r"resolver|résolveur|attacker|attaquant|victim|victime|source|"
                           r"destination|remote|peer|from|to|via|depuis|vers|de|par|and|et|"
                           r"or|ou|address|adresse|node|relay|relais|scanner|sender)\Z")


def _is_version(raw: str, before: str, located: tuple[str, int], versions: set[str]) -> bool:
    """Whether a plain (not defanged) dotted quad is a version or a section number, not an
    address: its context says so (see the patterns above), or it sits in a table column whose
    header names versions."""
    if _VERSION_CONTEXT.search(before) or _VERSION_BEFORE.search(before):
        return True
    if _VERSION_CALL.search(before) and not _LOG_CODE_BEFORE.search(before):
        return True
    parts = [int(p) if p.isdigit() else 999 for p in raw.split(".")]
    if parts[0] <= 30 and _PRODUCT_BEFORE.search(before):
        return True
    acronym = _ACRONYM_BEFORE.search(before)
    if acronym and parts[0] <= 30 and parts[1] <= 30 and parts[0] != 10 and \
            acronym.group(1) not in _ADDRESS_ACRONYMS:
        return True  # "Ivanti EPMM 12.1.0.1" (but "C2 5.8.18.7", "VPN 10.1.1.1")
    word = _WORD_BEFORE.search(before)
    if word and parts[0] <= 30 and parts[1] <= 30 and not _ADDRESS_WORD.match(word.group(1)):
        return True  # "DMP Connect 4.2.1.0": a name, then a small dotted number
    listed = _LISTED_AFTER.search(before)
    if listed:
        prev = listed.group(1)
        if prev in versions or prev.count(".") != 3 or not canonical_ipv4(prev):
            return True
    text, pos = located
    # refanging shortened the text before: the value itself is plain, find it near there
    lo = max(0, pos - 400)
    near = [m.start() for m in re.finditer(re.escape(raw), text[lo:pos + 400])]
    if near:
        pos = lo + min(near, key=lambda p: abs(lo + p - pos))
    end = pos + len(raw)
    if _VERSION_AFTER.match(text, end):
        return True
    if parts[0] <= 9 and max(parts) <= 12 and _LINE_START.search(before) and \
            _HEADING_AFTER.match(text, end):
        return True  # a section heading: "4.2.1.3 Lateral movement"
    return _in_version_column(text, pos)


_COLUMNS = re.compile(r"\||\t|;|,| {2,}")


def _in_version_column(text: str, pos: int) -> bool:
    """The value is in a block of lines (a table) whose first line names versions and no
    addresses. Up to 30 lines are walked back."""
    line_start = text.rfind("\n", 0, pos) + 1
    header = None
    for _ in range(30):
        if line_start <= 0:
            header = text[0:text.find("\n") if "\n" in text else len(text)]
            break
        prev_start = text.rfind("\n", 0, line_start - 1) + 1
        line = text[prev_start:line_start - 1]
        if not line.strip() or set(line.strip()) <= set("-=|+: "):
            if not line.strip():
                header = text[line_start:text.find("\n", line_start)]
                break
            line_start = prev_start  # a rule under the header: keep going
            continue
        line_start = prev_start
    if header is None or len(_COLUMNS.findall(header)) < 2:  # not a table's header
        return False
    return bool(_VERSION_HEADER.search(header)) and not _ADDRESS_HEADER.search(header)


# --- canonical forms -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def canonical_host(host: str) -> str | None:
    """Lower-case, IDNA-encoded, validated host name (a registrable domain or below), or None."""
    host = host.replace(DDOT, ".").strip().rstrip(".")
    if not host or len(host) > 253 or "." not in host:
        return None
    if not host.isascii():
        try:
            import idna

            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    host = host.lower()
    labels = host.split(".")
    for label in labels:
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return None
        if not all(c.isalnum() or c in "-_" for c in label):
            return None
    if labels[-1].isdigit():
        return None
    if any(label.startswith("xn--") for label in labels):
        try:
            import idna

            idna.decode(host)
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    if labels[-1] == "onion":
        return None
    reg = _checks.registrable(host)
    if reg is None or "_" in reg:
        return None
    return host


def canonical_ipv4(value: str) -> str | None:
    parts = value.replace(DDOT, ".").strip().split(".")
    if len(parts) != 4:
        return None
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        return None
    if any(n > 255 for n in nums) or any(not p.isdigit() or len(p) > 3 for p in parts):
        return None
    return ".".join(str(n) for n in nums)


def canonical_ipv6(value: str) -> str | None:
    value = value.strip().strip("[]")
    zone = ""
    if "%" in value:
        value, zone = value.split("%", 1)
        if not zone or not re.fullmatch(r"[0-9A-Za-z._-]{1,64}", zone):
            return None
    if value.count(":") < 2 or len(value) > 45:
        return None
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return None
    if addr.ipv4_mapped is not None:
        text = f"::ffff:{addr.ipv4_mapped}"
    else:
        text = addr.compressed
    return text + ("%" + zone if zone else "")


def canonical_url(value: str) -> str | None:
    url = value.replace(DDOT, ".").strip()
    url = url.replace("&amp;", "&")
    m = re.match(r"(?i)([a-z][a-z0-9+.-]*)://([^/?#]*)(.*)\Z", url, re.S)
    if m:
        scheme, authority, rest = m.group(1).lower(), m.group(2), m.group(3)
        prefix = scheme + "://"
    else:
        m = re.match(r"([^/?#]*)(.*)\Z", url, re.S)
        authority, rest, prefix = m.group(1), m.group(2), ""
        if not rest:
            return None
    if len(url) > 2048 or any(c.isspace() for c in url):
        return None
    userinfo = ""
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
        userinfo += "@"
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return None
        host6 = canonical_ipv6(authority[1:end])
        if host6 is None:
            return None
        host, port = "[" + host6 + "]", authority[end + 1:]
    else:
        host, _, port = authority.partition(":")
        port = ":" + port if _ else ""
        h4 = canonical_ipv4(host)
        if h4:
            host = h4
        elif prefix and host.lower() == "localhost":
            host = "localhost"
        else:
            onion = _canonical_onion_host(host)
            host = onion or canonical_host(host)
            if host is None:
                return None
    if port and not re.fullmatch(r":\d{1,5}", port):
        return None
    if prefix and ((prefix == "http://" and port == ":80") or
                   (prefix == "https://" and port == ":443")):
        port = ""
    return prefix + userinfo + host + port + rest


def _canonical_onion_host(host: str) -> str | None:
    m = _ONION.fullmatch(host.replace(DDOT, "."))
    if not m:
        return None
    return host.replace(DDOT, ".").lower()


def canonical_onion(value: str) -> str | None:
    value = value.replace(DDOT, ".").strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0].split(":", 1)[0]
    m = _ONION.fullmatch(value)
    if not m:
        return None
    # the v3 checksum is not required: a 56-character base32 label before .onion is never
    # anything else, and a report may carry a mistyped address (see _checks.onion_v3_ok)
    return m.group(1).lower() + ".onion"


def canonical_email(value: str) -> str | None:
    value = value.replace(DDOT, ".").strip().strip("<>")
    if value.lower().startswith("mailto:"):
        value = value[7:]
    local, at, domain = value.rpartition("@")
    if not at or not local or len(local) > 64 or len(value) > 254:
        return None
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    if not re.fullmatch(r"[\w!#$%&'*+=?^`{|}~./-]+", local):
        return None
    host = canonical_host(domain)
    if host is None:
        return None
    return local.lower() + "@" + host


def canonical_hash(type_: str, value: str) -> str | None:
    value = value.strip().lower()
    n = {"md5": 32, "sha1": 40, "sha256": 64}[type_]
    if len(value) != n or not re.fullmatch(r"[0-9a-f]+", value):
        return None
    return value


def canonical_cve(value: str) -> str | None:
    m = _CVE.fullmatch(value.strip())
    if not m:
        return None
    num = m.group(2)
    if len(num) > 4 and num.startswith("0"):
        return None
    return f"CVE-{m.group(1)}-{num}"


def canonical_bitcoin(value: str) -> str | None:
    value = value.strip()
    if value[:3].lower() == "bc1":
        return value.lower() if _checks.bech32_ok(value) else None
    return value if _checks.base58check_ok(value) else None


def canonical(type_: str, value: str) -> str | None:
    """Normalise one value of a given type; None if it is not a valid value of that type."""
    if not isinstance(value, str) or len(value) > 4096:
        return None
    value = refang(value.strip()).strip()
    if not value:
        return None
    if type_ == "ipv4":
        return canonical_ipv4(value)
    if type_ == "ipv6":
        return canonical_ipv6(value)
    if type_ == "domain":
        value = value.rstrip(".")
        if value.replace(DDOT, ".").lower().endswith(".onion"):
            return None
        if canonical_ipv4(value):
            return None
        return canonical_host(value)
    if type_ == "url":
        return canonical_url(value.rstrip(".,;:!?)]}>'\""))
    if type_ == "email":
        return canonical_email(value)
    if type_ in ("md5", "sha1", "sha256"):
        return canonical_hash(type_, value)
    if type_ == "cve":
        return canonical_cve(value)
    if type_ == "bitcoin":
        return canonical_bitcoin(value)
    if type_ == "onion":
        return canonical_onion(value)
    return None


def guess_type(value: str) -> str | None:
    """Which of TYPES a single value is (after refanging), or None."""
    if not isinstance(value, str) or len(value) > 4096:
        return None
    v = refang(value.strip()).strip()
    if not v:
        return None
    plain = v.replace(DDOT, ".")
    if re.fullmatch(r"[0-9A-Fa-f]+", plain):
        return {32: "md5", 40: "sha1", 64: "sha256"}.get(len(plain))
    order = []
    if "://" in plain:
        order = ["onion", "url"]
    elif "@" in plain and "/" not in plain:
        order = ["email"]
    elif plain.lower().startswith("cve"):
        order = ["cve"]
    elif ":" in plain and "/" not in plain:
        order = ["ipv6"]
    elif "/" in plain:
        order = ["url"]
    else:
        order = ["ipv4", "onion", "bitcoin", "domain"]
    for t in order:
        if canonical(t, v) is not None:
            if t == "url" and "://" not in plain and canonical_onion(plain):
                return "onion"
            return t
    return None


# --- extraction ----------------------------------------------------------------------------------

_TRAIL = ".,;:!?'\"*_)]}>"


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in ".,;:!?'\"*_>\ue000":
            url = url[:-1]
            continue
        if last in ")]}":
            opener = {")": "(", "]": "[", "}": "{"}[last]
            if url.count(opener) < url.count(last):
                url = url[:-1]
                continue
        if url.endswith(("&gt", "&lt", "&quot")):
            url = url.rsplit("&", 1)[0]
            continue
        break
    return url


def _new_result() -> dict[str, set[str]]:
    return {t: set() for t in TYPES}


# --- prefilter ------------------------------------------------------------------------------------
# Python's regex engine is slow on patterns that start with a character class (it tries each
# position). A text is first mapped to a byte string of character classes (bytes.translate runs
# at memory speed), literal searches find the few places where an indicator may be, and the full
# patterns run only on the tokens around them.

def _class_table() -> bytes:
    table = bytearray(256)
    for b in range(256):
        c = chr(b)
        if c.isdigit() and c.isascii():
            table[b] = ord("d")
        elif c.isalnum() or c in "-_":
            table[b] = ord("a")
        elif c.isspace():
            table[b] = ord(" ")
        elif c in ".:@[](){}\\/<>":
            table[b] = b
        else:
            table[b] = ord("#")
    return bytes(table)


_CLASS_TABLE = _class_table()


def _class_error(exc):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start:exc.end]
    return "".join("a" if c.isalnum() else " " if c.isspace() else "." if c == DDOT else "#"
                   for c in chunk), exc.end


codecs.register_error("vigisante-class", _class_error)

#: (needle searched in the class map, tokens of context kept on each side)
_CLASS_NEEDLES = ((b".a", 0), (b":a", 0), (b":d", 0), (b"@", 0), (b"[", 2), (b"\\.", 0))
#: four dotted numbers (an IPv4 address or a version): dates and decimals do not trigger
_CLASS_IPV4 = re.compile(rb"d\.d{1,3}\.d{1,3}\.d")
#: a dotted number before a line break (an address cut by the layout: context of one token)
_CLASS_CUT_IPV4 = re.compile(rb"d\.[ ]+d")
_RUN_TABLE = bytes(ord("a") if (chr(b).isalnum() or chr(b) in "-_") else ord(" ")
                   for b in range(256))
#: (needle searched in the lower-cased text, tokens of context kept on each side)
_LOW_NEEDLES = ((b"cve", 2), (b"bc1", 0), (b"xp", 0), (b"**p", 0), (b".)", 1), (b"dot)", 1),
                (b"at)", 1), (b"@)", 1), (b" dot ", 3), (b"( ", 2), (b"point)", 1),
                (b"punto)", 1), (b"d0t)", 1))


def _low_table() -> bytes:
    table = bytearray(bytes(range(256)).lower())
    for c in b" \t\n\r\x0b\x0c":
        table[c] = ord(" ")
    table[ord("]")] = table[ord("}")] = ord(")")
    table[ord("[")] = table[ord("{")] = ord("(")
    return bytes(table)


_LOW_TABLE = _low_table()
SMALL = 2048
CHUNK_CHARS = 1 << 20


def _find_all(hay: bytes, needle: bytes, ctx: int, hits: list) -> None:
    """Append pos * 4 + ctx for every occurrence (plain ints: no work for the GC)."""
    find = hay.find
    append = hits.append
    i = find(needle)
    step = len(needle)
    while i >= 0:
        append(i * 4 + ctx)
        i = find(needle, i + step)


def _regions(text: str) -> list[tuple[int, int]]:
    """Merged (start, end) spans of whole tokens around every possible indicator."""
    if text.isascii():
        raw = text.encode("ascii")
    else:
        raw = text.encode("latin-1", errors="vigisante-class")
    cls = raw.translate(_CLASS_TABLE)
    hits: list[int] = []  # position * 4 + tokens of context on each side
    for needle, ctx in _CLASS_NEEDLES:
        _find_all(cls, needle, ctx, hits)
    hits.extend(m.start() * 4 for m in _CLASS_IPV4.finditer(cls))
    if b". " in cls:
        hits.extend(m.start() * 4 + 1 for m in _CLASS_CUT_IPV4.finditer(cls))
    _find_all(raw.translate(_RUN_TABLE), b"a" * 26, 0, hits)  # hashes, bitcoin addresses
    low = raw.translate(_LOW_TABLE)
    for needle, ctx in _LOW_NEEDLES:
        _find_all(low, needle, ctx, hits)
    if not hits:
        return []
    hits.sort()
    n = len(cls)
    # cluster nearby hits first (cheap), then widen each cluster to whole tokens
    clusters: list[list[int]] = []
    c_lo = c_hi = -(10**9)
    c_ctx = 0
    for h in hits:
        pos, ctx = h >> 2, h & 3
        if pos <= c_hi + 64:
            c_hi = pos
            if ctx > c_ctx:
                c_ctx = ctx
        else:
            if c_lo >= 0:
                clusters.append([c_lo, c_hi, c_ctx])
            c_lo = c_hi = pos
            c_ctx = ctx
    clusters.append([c_lo, c_hi, c_ctx])
    spans: list[list[int]] = []
    for c_lo, c_hi, ctx in clusters:
        lo = cls.rfind(b" ", 0, c_lo) + 1
        hi = cls.find(b" ", c_hi)
        if hi < 0:
            hi = n
        for _ in range(ctx):  # more tokens either side: "evil [.] com", "a dot b"
            lo = max(0, _prev_token_start(cls, lo))
            hi = _next_token_end(cls, hi, n)
        k = lo
        while k > 0 and raw[k - 1] in (32, 9):
            k -= 1
        if k > 1 and raw[k - 1] == 10:
            k -= 2 if raw[k - 2] == 13 else 1
            if k > 0 and raw[k - 1] == 45:  # "cdn-teams-" / "update.health": a cut name
                lo = max(0, _prev_token_start(cls, lo))
        if raw[hi:hi + 1] == b"\r" and raw[hi + 1:hi + 2] == b"\n":
            if hi + 2 < n and cls[hi + 2] != 32:
                hi = _next_token_end(cls, hi, n)
        elif raw[hi:hi + 1] == b"\n" and hi + 1 < n and cls[hi + 1] != 32:
            hi = _next_token_end(cls, hi, n)  # a URL may go on at the start of the next line
        elif raw[hi:hi + 1] == b"\n" and raw[hi + 1:hi + 2] in (b" ", b"\t") and \
                raw[hi - 1:hi] in (b"/", b"?", b"&", b"=", b"-"):
            hi = _next_token_end(cls, hi, n)  # ... or on an indented next line
        if spans and lo <= spans[-1][1] + 32:
            if hi > spans[-1][1]:
                spans[-1][1] = hi
        else:
            spans.append([lo, hi])
    return [(a, b) for a, b in spans]


def _prev_token_start(cls: bytes, lo: int) -> int:
    i = lo - 1
    while i >= 0 and cls[i] == 32:
        i -= 1
    if i < 0:
        return 0
    return cls.rfind(b" ", 0, i) + 1


def _next_token_end(cls: bytes, hi: int, n: int) -> int:
    i = hi
    while i < n and cls[i] == 32:
        i += 1
    if i >= n:
        return n
    j = cls.find(b" ", i)
    return n if j < 0 else j


def extract_into(text: str, out: dict[str, set[str]]) -> None:
    """Add the indicators found in `text` to the sets of `out` (keys: TYPES)."""
    if len(text) > CHUNK_CHARS:
        # bounded working set: cut at a line end (else a space) near every CHUNK_CHARS
        start = 0
        n = len(text)
        while start < n:
            end = min(n, start + CHUNK_CHARS)
            if end < n:
                cut = text.rfind("\n", start + CHUNK_CHARS // 2, end)
                if cut < 0:
                    cut = text.rfind(" ", start + CHUNK_CHARS // 2, end)
                if cut >= 0:
                    end = cut + 1
            extract_into(text[start:end], out)
            start = end
        return
    text = normalise_unicode(text)
    if len(text) <= SMALL:
        rt = refang(text, unicode=False)
        _extract_region(rt, out, lambda pos: rt[max(0, pos - 80):pos], lambda pos: (rt, pos))
        return
    regions = _regions(text)
    if not regions:
        return
    # the regions, refanged, joined by newlines: each pattern then runs once over them (the
    # regions of plain ASCII apart: their patterns are faster)
    groups: dict[bool, tuple[list[str], list[int], list[int]]] = {True: ([], [], []),
                                                                  False: ([], [], [])}
    for lo, hi in regions:
        piece = refang(text[lo:hi], unicode=False)
        pieces, starts, origins = groups[piece.isascii()]
        starts.append(sum(len(p) + 2 for p in pieces[-1:]) + (starts[-1] if starts else 0))
        pieces.append(piece)
        origins.append(lo)
    for pieces, starts, origins in groups.values():
        if pieces:
            _extract_compact(text, pieces, starts, origins, out)


def _extract_compact(text, pieces, starts, origins, out) -> None:
    compact = "\n\n".join(pieces)

    def before(cpos: int) -> str:
        i = bisect.bisect_right(starts, cpos) - 1
        inside = compact[starts[i]:cpos]
        if len(inside) >= 80:
            return inside[-80:]
        return (text[max(0, origins[i] - 80):origins[i]] + inside)[-80:]

    def locate(cpos: int) -> tuple[str, int]:
        i = bisect.bisect_right(starts, cpos) - 1
        return text, origins[i] + cpos - starts[i]

    _extract_region(compact, out, before, locate)


_SCHEME_BACK = re.compile(r"(?i)(?<![A-Za-z0-9+.-])(?:https?|ftps?|sftp|wss?|smb|file|rdp|ssh|"
                          r"telnet|irc|tcp|udp|ldaps?|rmi|dns)\Z")
_URL_TAIL = re.compile(
    r"(?:[^/?#@" + _NOT_URL + r"]+@)?"
    r"(?:\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\](?::\d{1,5})?|[^/?#" + _NOT_URL + r"]+)" + _PATH
)
#: A URL given as a parameter of another one (redirectors, safe-links wrappers).
_REDIRECTED = re.compile(r"(?i)[?&][\w.-]{1,20}=((?:https?|ftp)(?:://|%3A%2F%2F)[^&#\s]+)")
_DATE_START = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")
_WRAPPED = re.compile(r"[^" + _NOT_URL + r"]+")
_LOCAL_LEADING = frozenset("'`{|}=?^~!#$%&*+/")
#: The local part before an "@", its dots possibly defanged ("john[.]doe[@]evil[.]com").
_LOCAL_BACK = re.compile(r"(?<![\w.\ue000+-])" + _EMAIL_LOCAL.replace(r"(?:\.", r"(?:[.\ue000]")
                         + r"\Z")
_ULOCAL_BACK = re.compile(r"(?<![\w.\ue000+-])[\w!#$%&'*+=?^`{|}~-]+"
                          r"(?:[.\ue000][\w!#$%&'*+=?^`{|}~-]+)*\Z")
_EMAIL_HOST = re.compile(r"(?:" + _LABEL + _D + r")+" + _TLD + r"(?![\w-]|" + _D + r"\w)")
_UEMAIL_HOST = re.compile(r"(?:" + _ULABEL + _D + r")+" + _UTLD + r"(?![\w-]|" + _D + r"\w)")


_HOST_START = re.compile(r"[A-Za-z0-9-]+(?:[.\ue000][A-Za-z0-9-]+)+(?=[/:?#]|\Z)")


#: Words that start a sentence's next line rather than continue a URL cut after "=".
_PROSE_WORDS = frozenset("and or the then to which where with from for is was are were in on at "
                         "by as it its this that et ou puis qui pour est sont dans sur par le la "
                         "les de des du un une".split())


def _wrapped_url_goes_on(head: str, cont: str) -> bool:
    """Whether `cont`, the first token of the next line, continues the URL `head` cut at the end
    of its line (PDF-to-text exports, narrow columns): never a new URL, a date or a plain word;
    after a '/' never a token that is itself a host ("https://a.com/" then "b.org" on the next
    line of a list)."""
    if "://" in cont or _DATE_START.match(cont) or not (cont[0].isalnum() or cont[0] in "%_?#&="):
        return False
    last = head[-1]
    if last == "-":  # a host or a path cut at a hyphen: "update-micro-" / "soft.com/a"
        return head.count("/") > 2 or "." in cont or "\ue000" in cont
    if last == "/" and head.count("/") > 2:
        host = _HOST_START.match(cont)
        if host and canonical("domain", host.group(0).replace(DDOT, ".")):
            return False
        # "/bins/" / "arm7": a path segment of letters and digits
        return any(c in cont for c in "/.?=&%_-\ue000") or (
            cont.isalnum() and cont.isascii() and not cont.isdigit() and not cont.isalpha())
    if last in "?&=":
        if any(c in cont for c in "=&%") or any(c.isdigit() for c in cont):
            return True
        # "...?v=2&cache=" / "false and then...": a long URL's value cut by the page width
        return last == "=" and len(head) >= 40 and cont.isalpha() and cont.islower() and \
            cont not in _PROSE_WORDS
    # a long URL cut anywhere: "...?id=4" / "2&x=1"
    return len(head) >= 40 and any(c in cont for c in "/?=&%")


def _find_urls(text: str, out, masked: list) -> None:
    find = text.find
    i = find("://")
    while i >= 0:
        m = _SCHEME_BACK.search(text, max(0, i - 8), i)
        if m:
            t = _URL_TAIL.match(text, i + 3)
            if t:
                end = t.end()
                nl = end + 1 if text[end:end + 1] == "\n" else \
                    end + 2 if text[end:end + 2] == "\r\n" else 0
                cut = None
                if nl:
                    # the next line may be indented (a list item's wrapped line, a PDF column)
                    indent = 0
                    while indent < 12 and text[nl + indent:nl + indent + 1] in (" ", "\t"):
                        indent += 1
                    w = _WRAPPED.match(text, nl + indent)
                    if w and _wrapped_url_goes_on(text[m.start():end], w.group(0)):
                        cut = (end, nl + indent)
                        end = w.end()
                piece = text[m.start():end] if cut is None else \
                    text[m.start():cut[0]] + text[cut[1]:end]
                raw = _trim_url(piece.replace("\n", "").replace("\r", ""))
                url = canonical_url(raw)
                if url:
                    out["url"].add(url)
                    onion = canonical_onion(url)
                    if onion:
                        out["onion"].add(onion)
                    for inner in _REDIRECTED.finditer(raw):  # google.com/url?q=https://evil/
                        target = inner.group(1)
                        if "://" not in target[:8]:  # safe links: the target percent-encoded
                            target = urllib.parse.unquote(target)
                        target = canonical_url(_trim_url(target))
                        if target:
                            out["url"].add(target)
                masked.append((m.start(), max(end, m.start() + len(raw))))
                i = find("://", max(i + 3, m.start() + len(raw)))
                continue
        i = find("://", i + 3)


def _find_emails(text: str, out, masked: list, ascii_text: bool) -> list:
    emails = []
    local_rx = _LOCAL_BACK if ascii_text else _ULOCAL_BACK
    host_rx = _EMAIL_HOST if ascii_text else _UEMAIL_HOST
    find = text.find
    i = find("@")
    while i >= 0:
        lm = local_rx.search(text, max(0, i - 64), i)
        if lm and not (masked and _inside(masked, lm.start())):
            hm = host_rx.match(text, i + 1)
            if hm:
                # quotes and other marks allowed in a local part but not as its first
                # character: "'ceo@x.info'" (a STIX pattern), "`a@b.fr`", "|a@b.fr"
                start = lm.start()
                while start < i and text[start] in _LOCAL_LEADING:
                    start += 1
                email = canonical_email(text[start:hm.end()])
                if email:
                    out["email"].add(email)
                    emails.append((lm.start(), hm.end()))
        i = find("@", i + 1)
    return emails


def _extract_region(text: str, out: dict[str, set[str]], before, locate) -> None:
    """Find every indicator in a refanged text. `before(pos)`: up to 80 characters preceding
    pos in the original text (context for version numbers); `locate(pos)`: the original text
    and the position there (about: refanging shortens), for the context of a table."""
    ascii_text = text.isascii() or text.replace(DDOT, ".").isascii()
    masked: list[tuple[int, int]] = []
    if "://" in text:
        _find_urls(text, out, masked)
        masked.sort()
    if "@" in text:
        emails = _find_emails(text, out, masked, ascii_text)
        if emails:
            masked = sorted(masked + emails)

    if "." in text or DDOT in text:
        if "onion" in text or "ONION" in text:
            low = text.lower()
            i = low.find("onion")
            while i >= 0:
                if i > 16 and low[i - 1] in ".\ue000":
                    m = _ONION_BACK.search(low, max(0, i - 57), i - 1)
                    if m and not (i + 5 < len(low) and (low[i + 5].isalnum() or
                                                         low[i + 5] in "-_")):
                        out["onion"].add(m.group(1) + ".onion")
                i = low.find("onion", i + 5)
        for m in (_DOMAIN if ascii_text else _UDOMAIN).finditer(text):
            start = m.start(1)
            if masked and _inside(masked, start):
                continue
            raw = m.group(1)
            defanged = DDOT in raw
            plain = raw.replace(DDOT, ".")
            if not defanged and _looks_like_name(plain, start, text):
                continue
            host = canonical_host(raw)
            if host is None:
                continue
            path = m.group(2)
            if path:
                path = _trim_url(path)
            if path and len(path) > 1 and not re.fullmatch(r"(?::\d{1,5})?/\d{1,2}", path) \
                    and not re.fullmatch(r":\d{1,5}/?", path):
                url = canonical_url(raw + path)
                if url:
                    out["url"].add(url)
                    continue
            out["domain"].add(host)
        versions: set[str] = set()  # plain dotted quads of this text read as versions
        for m in _IPV4.finditer(text):
            start = m.start(1)
            if masked and _inside(masked, start):
                continue
            raw = m.group(1)
            if start and text[start - 1] == "-" and not _RANGE_START.search(
                    text, max(0, start - 20), start):
                continue  # "a-b" is a range of addresses only between two addresses
            if start and text[start - 1] == ":" and _V6_BEFORE.search(text, max(0, start - 50),
                                                                        start):
                continue
            if DDOT not in raw and _is_version(raw, before(start), locate(start), versions):
                versions.add(raw)
                continue
            ip = canonical_ipv4(raw)
            if ip:
                out["ipv4"].add(ip)
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            if masked and _inside(masked, m.start()):
                continue
            cand = m.group(1)
            if len(re.sub(r"[^0-9A-Fa-f]", "", cand)) < 3 and cand != "::1":
                continue
            if "::" not in cand and cand.count(":") != 7 and "." not in cand:
                continue
            ip = canonical_ipv6(cand + (m.group(2) or ""))
            if ip:
                out["ipv6"].add(ip)
    if "cve" in text or "CVE" in text or "Cve" in text:
        low = text.lower()
        i = low.find("cve")
        while i >= 0:
            m = _CVE.match(text, i)
            if m:
                cve = canonical_cve(m.group(0))
                if cve:
                    out["cve"].add(cve)
            i = low.find("cve", i + 3)
    if len(text) < 26:
        return
    for m in _HEX.finditer(text):
        h = m.group(0)
        if h.isdigit() or not any(c.isdigit() for c in h):
            continue
        out[{32: "md5", 40: "sha1", 64: "sha256"}[len(h)]].add(h.lower())
    for m in _BTC_LEGACY.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_"):
            continue
        if _checks.base58check_ok(m.group(0)):
            out["bitcoin"].add(m.group(0))
    if "bc1" in text or "BC1" in text:
        for m in _BTC_BECH32.finditer(text):
            if _checks.bech32_ok(m.group(0)):
                out["bitcoin"].add(m.group(0).lower())


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    """Whether pos falls in one of the sorted, non-overlapping spans."""
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def finish(out: dict[str, set[str]]) -> dict[str, list[str]]:
    return {t: sorted(out[t]) for t in TYPES}


def extract(text: str) -> dict[str, list[str]]:
    """Indicators found in a text: every key of TYPES, canonical, unique, sorted values."""
    out = _new_result()
    if text:
        extract_into(text, out)
    return finish(out)
