"""Inputs: bytes and files of every kind (plain text, logs, CSV, HTML, RFC 822 e-mail)."""

from __future__ import annotations

import codecs
import csv
import email
import email.policy
import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ._engine import TYPES, _new_result, canonical, extract_into, finish


class ExtractionError(ValueError):
    """The input cannot be read as text; the message is user-facing (English)."""


#: Largest e-mail parsed in memory (an .eml is parsed whole); other inputs are streamed.
MAX_EMAIL_BYTES = 50 * 1024 * 1024
#: Largest input accepted by `extract_bytes` (callers holding bigger data should stream).
MAX_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024
MAX_PARTS = 500
MAX_DEPTH = 10

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,60}:[ \t]?.*$")
_MAIL_HEADERS = (b"from", b"to", b"subject", b"date", b"received", b"message-id",
                 b"mime-version", b"return-path", b"reply-to", b"delivered-to", b"content-type",
                 b"x-mailer", b"sender", b"dkim-signature", b"authentication-results")

#: Headers a message sent through mail servers has, and a message copied from Outlook as text
#: (its "From:", "Sent:", "To:", "Subject:" block) has not.
_TRANSPORT_HEADERS = {b"date", b"received", b"message-id", b"mime-version", b"return-path",
                      b"content-type", b"delivered-to", b"dkim-signature",
                      b"authentication-results", b"x-mailer"}

#: Starts of binary formats that may hold few NUL or control bytes in their first bytes.
BINARY_MAGIC = (
    b"MZ", b"\x7fELF", b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"%PDF-",
    b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0", b"7z\xbc\xaf",
    b"Rar!\x1a\x07", b"\x1f\x8b\x08", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa",
    b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"BZh91AY&SY", b"\xfd7zXZ\x00", b"\x00asm",
    b"dex\n", b"OTTO", b"wOFF", b"ID3", b"OggS", b"fLaC", b"RIFF", b"\x1aE\xdf\xa3",
)


def looks_binary(sample: bytes) -> bool:
    """A binary format's magic number, NUL bytes or many control characters in the first bytes
    (text with a UTF-16 BOM is text)."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if sample.startswith(BINARY_MAGIC):
        if not sample.startswith(b"MZ") or _is_pe(sample):
            return True
    if b"\0" in sample:
        return True
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.05


def _is_pe(sample: bytes) -> bool:
    """"MZ" starts a DOS/PE executable only with a plausible header (text may start "MZ")."""
    return len(sample) >= 64 and (b"\0" in sample[:64] or b"This program" in sample[:512])


def looks_like_email(sample: bytes) -> bool:
    """An RFC 822 message: it starts with header lines, several of them usual mail headers."""
    head = sample.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[0].startswith(b"From ") and not lines[0].startswith(b"From: "):
        lines = lines[1:]  # mbox separator line
    if not lines or not _HEADER_LINE.match(lines[0]):
        return False
    names = set()
    for line in lines[:200]:
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    if b"sent" in names and not names & _TRANSPORT_HEADERS:
        return False  # Outlook's "From: / Sent: / To: / Subject:" of a message pasted as text
    return len(names & set(_MAIL_HEADERS)) >= 2


def looks_like_html(sample: bytes, filename: str = "") -> bool:
    if filename.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = sample[:4096].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in head or \
        head.startswith((b"<!doctype html", b"<html"))


def decode(data: bytes, charset: str | None = None) -> str:
    """Decode text. With a charset given: that charset, strictly (invalid bytes are an error).
    Without: a UTF-8 BOM or valid UTF-8, then a BOM-signalled UTF-16, then cp1252, then
    latin-1 (which reads any byte)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
        if not charset:
            return data.decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ExtractionError("The file is not valid UTF-16 text.") from exc
    if charset:
        try:
            return data.decode(charset)
        except LookupError as exc:
            raise ExtractionError(f"Unknown character set: {charset[:40]!r}.") from exc
        except UnicodeDecodeError as exc:
            raise ExtractionError(
                f"The file is not valid {charset[:40]} text (byte {exc.start})."
            ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_8bit(data)


def decode_8bit(data: bytes) -> str:
    """cp1252 (French Windows), or latin-1 when a byte is undefined in cp1252."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_lenient(data: bytes, charset: str | None) -> str:
    """A MIME part: its declared charset if it is known and fits the bytes, else as `decode`."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if data.startswith(codecs.BOM_UTF8):
        return decode(data)
    if charset:
        try:
            # a wide charset (UTF-16, UTF-32) declared for bytes without NUL is wrong
            if b"\0" in data or "Az09.:/@".encode(charset) == b"Az09.:/@":
                return data.decode(charset)
        except (LookupError, UnicodeError, ValueError):
            pass
    return decode(data)


class _HTMLText(HTMLParser):
    """Visible text plus the URLs of links, images and forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and name in ("href", "src", "action", "data-href", "background", "cite"):
                self.parts.append(" " + value + " ")
        if tag in ("br", "p", "div", "tr", "li", "td", "th", "h1", "h2", "h3", "table"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag in ("p", "div", "tr", "li", "td", "th", "h1", "h2", "h3", "table", "pre"):
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # noqa: BLE001 - the parser is lenient; keep raw text if it gives up
        return html.unescape(markup)
    return "".join(parts for parts in parser.parts)


def csv_to_text(text: str) -> str:
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    out = io.StringIO()
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            out.write("\n".join(row))
            out.write("\n")
    except csv.Error:
        return text
    return out.getvalue()


@dataclass
class Attachment:
    name: str
    content_type: str
    size: int
    sha256: str


@dataclass
class ParsedEmail:
    """What an RFC 822 message yields: indicators plus the attachments seen."""

    indicators: dict[str, set[str]] = field(default_factory=_new_result)
    attachments: list[Attachment] = field(default_factory=list)
    parts: int = 0


_RECEIVED_IP = re.compile(r"[\[(]?(?:IPv6:)?([0-9A-Fa-f:.]{7,45})[\])]?")
_SENDER_HEADERS = ("from", "sender", "reply-to", "return-path", "x-sender", "x-original-from",
                   "resent-from", "errors-to")
_IP_HEADERS = ("x-originating-ip", "x-sender-ip", "x-forwarded-for", "x-real-ip",
               "x-client-ip")


def parse_email(data: bytes) -> ParsedEmail:
    """Parse a MIME message: senders, Received IPs, bodies (text and HTML), attachments."""
    if len(data) > MAX_EMAIL_BYTES:
        raise ExtractionError(
            f"The e-mail is too large ({len(data) // (1024 * 1024)} MB; the limit is "
            f"{MAX_EMAIL_BYTES // (1024 * 1024)} MB)."
        )
    result = ParsedEmail()
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        _walk(msg, result, 0)
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed MIME in many ways
        raise ExtractionError(f"The e-mail could not be parsed ({type(exc).__name__}).") from exc
    return result


def _header_text(msg, name: str) -> list[str]:
    values = []
    for raw in msg.get_all(name, []) or []:
        try:
            values.append(str(raw))
        except Exception:  # noqa: BLE001 - undecodable header
            continue
    return values


def _walk(msg, result: ParsedEmail, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExtractionError("The e-mail nests too many messages.")
    out = result.indicators
    for name in _SENDER_HEADERS:
        for value in _header_text(msg, name):
            for addr in re.findall(r"[^\s<>\"',;()]+@[^\s<>\"',;()]+", value):
                em = canonical("email", addr)
                if em:
                    out["email"].add(em)
    for value in _header_text(msg, "received"):
        # "from host (helo) [1.2.3.4]" ... "by mx ... ; date": only the IPs
        for m in _RECEIVED_IP.finditer(value.split(";")[0]):
            cand = m.group(1).strip(".:")
            ip4 = canonical("ipv4", cand)
            if ip4:
                out["ipv4"].add(ip4)
                continue
            if ":" in cand:
                ip6 = canonical("ipv6", cand)
                if ip6:
                    out["ipv6"].add(ip6)
    for name in _IP_HEADERS:
        for value in _header_text(msg, name):
            for cand in re.split(r"[\s,\[\]()]+", value):
                ip = canonical("ipv4", cand) or canonical("ipv6", cand)
                if ip:
                    out["ipv6" if ":" in ip else "ipv4"].add(ip)
    for value in _header_text(msg, "subject"):
        extract_into(value, out)
    _walk_body(msg, result, depth)


def _walk_body(part, result: ParsedEmail, depth: int) -> None:
    result.parts += 1
    if result.parts > MAX_PARTS:
        raise ExtractionError(f"The e-mail has too many parts (more than {MAX_PARTS}).")
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if inner is not None:
            _walk(inner, result, depth + 1)
        return
    if part.is_multipart():
        for sub in part.iter_parts() if hasattr(part, "iter_parts") else part.get_payload():
            _walk_body(sub, result, depth)
        return
    filename = part.get_filename()
    disposition = part.get_content_disposition()
    try:
        raw = part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001 - broken transfer encoding
        raw = b""
    if filename or disposition == "attachment":
        name = str(filename or "")
        result.attachments.append(
            Attachment(name=name, content_type=ctype, size=len(raw),
                       sha256=hashlib.sha256(raw).hexdigest())
        )
        result.indicators["sha256"].add(hashlib.sha256(raw).hexdigest())
        if ctype.startswith("text/") or name.lower().endswith(
                (".txt", ".csv", ".log", ".html", ".htm", ".eml")):
            if ctype == "message/rfc822" or name.lower().endswith(".eml"):
                try:
                    _walk(email.message_from_bytes(raw, policy=email.policy.default), result,
                          depth + 1)
                except ExtractionError:
                    raise
                except Exception:  # noqa: BLE001
                    return
                return
            _text_into(raw, part.get_content_charset(), ctype, name, result.indicators)
        return
    if ctype.startswith("text/"):
        _text_into(raw, part.get_content_charset(), ctype, "", result.indicators)


def _text_into(raw: bytes, charset, ctype: str, name: str, out) -> None:
    if looks_binary(raw[:8192]):
        return
    text = decode_lenient(raw, charset)
    if ctype == "text/html" or looks_like_html(raw[:4096], name):
        text = html_to_text(text)
    elif ctype == "text/csv" or name.lower().endswith(".csv"):
        text = csv_to_text(text)
    extract_into(text, out)


def extract_bytes(data: bytes, filename: str = "", encoding: str | None = None
                  ) -> dict[str, list[str]]:
    """Indicators in a file's bytes: e-mail (.eml), HTML, CSV, logs or plain text.

    Raises ExtractionError for binary or undecodable input, or input above MAX_BYTES.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ExtractionError("Expected bytes.")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ExtractionError(
            f"The file is too large ({len(data) // (1024 * 1024)} MB; the limit is "
            f"{MAX_BYTES // (1024 * 1024)} MB)."
        )
    return extract_file(io.BytesIO(data), filename=filename, encoding=encoding)


def extract_file(stream, filename: str = "", encoding: str | None = None
                 ) -> dict[str, list[str]]:
    """Like extract_bytes for a binary file object, streamed in chunks (bounded memory)."""
    result, _ = extract_file_details(stream, filename=filename, encoding=encoding)
    return result


def extract_file_details(stream, filename: str = "", encoding: str | None = None):
    """(indicators, attachments or None): attachments is a list only for an e-mail."""
    head = stream.read(CHUNK)
    if looks_binary(head[:8192]):
        raise ExtractionError("The file looks binary (not text); nothing was extracted.")
    lower = filename.lower()
    if lower.endswith((".eml", ".msg.txt")) or looks_like_email(head[:65536]):
        data = head + stream.read(MAX_EMAIL_BYTES + 1 - len(head))
        parsed = parse_email(data)
        return finish(parsed.indicators), parsed.attachments
    if looks_like_html(head, filename):
        data = head + stream.read(MAX_BYTES + 1 - len(head))
        if len(data) > MAX_BYTES:
            raise ExtractionError("The HTML file is too large.")
        text = html_to_text(decode(data, encoding))
        out = _new_result()
        extract_into(text, out)
        return finish(out), None
    is_csv = lower.endswith((".csv", ".tsv"))
    out = _new_result()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = head + stream.read(MAX_BYTES + 1 - len(head))
        if len(data) > MAX_BYTES:
            raise ExtractionError("The file is too large.")
        text = decode(data, encoding)
        extract_into(csv_to_text(text) if is_csv else text, out)
        return finish(out), None
    # without an encoding: UTF-8 while the bytes are valid UTF-8, then cp1252/latin-1 for the
    # rest (text decoded before the first invalid byte was valid UTF-8, so it stays right)
    decoder = codecs.getincrementaldecoder(_codec(encoding))(errors="strict")
    eight_bit = False
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    carry = ""
    offset = 0
    chunk = head
    while chunk:
        if eight_bit:
            text = decode_8bit(chunk)
        else:
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                if encoding:
                    raise ExtractionError(
                        f"The file is not valid {encoding} text (invalid byte near offset "
                        f"{offset + exc.start})."
                    ) from exc
                eight_bit = True
                text = decode_8bit(pending + chunk)
        offset += len(chunk)
        text = carry + text
        cut = text.rfind("\n")
        if cut < 0 and len(text) > 4 * CHUNK:
            cut = text.rfind(" ", 0, len(text) - 1)
        if cut < 0 and len(text) > 4 * CHUNK:
            cut = len(text) - 1
        if cut >= 0:
            body, carry = text[:cut + 1], text[cut + 1:]
            extract_into(csv_to_text(body) if is_csv else body, out)
        else:
            carry = text
        nxt = stream.read(CHUNK)
        if nxt and b"\0" in nxt:
            raise ExtractionError("The file looks binary (not text); nothing was extracted.")
        chunk = nxt
    if not eight_bit:
        pending = decoder.getstate()[0]
        try:
            carry += decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            if encoding:
                raise ExtractionError(
                    f"The file is not valid {encoding} text (it ends inside a character)."
                ) from exc
            carry += decode_8bit(pending)
    if carry:
        extract_into(csv_to_text(carry) if is_csv else carry, out)
    return finish(out), None


def _codec(encoding: str | None) -> str:
    if not encoding:
        return "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise ExtractionError(f"Unknown encoding: {encoding[:40]!r}.") from exc


__all__ = ["TYPES", "ExtractionError", "extract_bytes", "extract_file", "parse_email"]
