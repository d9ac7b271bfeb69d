"""`vigisante check-logs`: match the platform's indicators against local logs (no Django).

Runs on an establishment's own server: it downloads the confirmed indicators from the feed
(`/api/v1/indicators/`, token auth) or reads a saved feed (`--feed-file`), streams the logs
(gzip, bzip2, xz too; `-` is stdin) and prints the matching lines. Nothing leaves the server
unless `--send` is given, and even then only the matched indicators and their counts are sent,
never a line of the logs. Exit codes: see EXIT_CODES.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from vigisante.indicators.logcheck import TYPES, LogReadError, Match, Matcher

FEED_PATH = "/api/v1/indicators/"
SEND_PATH = "/api/v1/indicators/matches/"
EXIT_CODES = {
    0: "no indicator found in the logs",
    1: "at least one indicator found",
    2: "bad usage, or a log could not be read (the other logs were still checked)",
    3: "the feed could not be fetched or read (unreachable, bad token, not a feed)",
    4: "the matches could not be sent to the platform (--send)",
}
MAX_FEED_PAGES = 10_000


class FeedError(Exception):
    """The feed could not be fetched or read; the message says why, for a person."""


@dataclass
class Tally:
    """Matches of one indicator over all the logs (what --send sends: no log line)."""

    type: str
    value: str
    count: int = 0
    files: set[str] = field(default_factory=set)


def feed_url(url: str) -> str:
    """The feed's URL from the platform's base URL or the feed's own URL."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"{url!r} is not an http(s) URL of the platform")
    path = parts.path.rstrip("/")
    if not path.endswith(FEED_PATH.rstrip("/")):
        path = path + FEED_PATH.rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/", parts.query, ""))


def _request(url: str, token: str, data: bytes | None = None, timeout: float = 60) -> dict:
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    req.add_header("Authorization", f"Token {token}")
    req.add_header("Accept", "application/json")
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) only)
            body = resp.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise FeedError(f"{url}: the platform refused the token (HTTP {exc.code}); "
                            "check --token or VIGISANTE_TOKEN") from exc
        if exc.code == 404:
            raise FeedError(f"{url}: not found (HTTP 404): no feed at this URL, or this "
                            "account may not receive indicators") from exc
        detail = ""
        if exc.code == 400:
            try:
                detail = ": " + json.dumps(json.loads(exc.read(10_000)), ensure_ascii=False)[:500]
            except (ValueError, OSError):
                detail = ""
        raise FeedError(f"{url}: the platform answered HTTP {exc.code}{detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FeedError(f"{url}: cannot reach the platform ({reason})") from exc
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"{url}: the answer is not the platform's JSON feed") from exc


def fetch_feed(url: str, token: str) -> list[tuple[str, str]]:
    """Every indicator of the feed, following its pages."""
    out: list[tuple[str, str]] = []
    next_url: str | None = feed_url(url)
    origin = urllib.parse.urlsplit(next_url)[:2]
    for _ in range(MAX_FEED_PAGES):
        if not next_url:
            return out
        page = _request(next_url, token)
        out.extend(_entries(page, next_url))
        next_url = page.get("next") if isinstance(page, dict) else None
        if next_url and urllib.parse.urlsplit(next_url)[:2] != origin:
            raise FeedError(f"the feed's next page {next_url!r} is on another site")
    raise FeedError("the feed has too many pages")


def _entries(page, where: str) -> Iterable[tuple[str, str]]:
    results = page.get("results") if isinstance(page, dict) else page
    if not isinstance(results, list):
        raise FeedError(f"{where}: not a feed of indicators (no 'results' list)")
    for item in results:
        if isinstance(item, dict) and isinstance(item.get("type"), str) \
                and isinstance(item.get("value"), str):
            yield item["type"], item["value"]


def read_feed_file(path: str) -> list[tuple[str, str]]:
    """A saved feed: the JSON of a feed page or a list of {type, value}; or text lines
    `type value` (or a bare value, whose type is guessed)."""
    try:
        with open(path, "rb") as f:
            data = f.read(200 * 1024 * 1024 + 1)
    except OSError as exc:
        raise FeedError(f"{path}: cannot read the feed file ({exc.strerror or exc})") from exc
    if len(data) > 200 * 1024 * 1024:
        raise FeedError(f"{path}: the feed file is larger than 200 MB")
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text.lstrip().startswith(("{", "[")):
        try:
            return list(_entries(json.loads(text), path))
        except ValueError as exc:
            raise FeedError(f"{path}: invalid JSON ({exc})") from exc
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        first, _, rest = line.partition(" ")
        if first in TYPES and rest.strip():
            out.append((first, rest.strip()))
        elif (guessed := guess_type(line)) is not None:
            out.append((guessed, line))
        else:
            out.append(("", line))  # counted as unusable by the matcher
    return out


def guess_type(value: str) -> str | None:
    """Type of one bare value (the extraction package's guess when it is installed)."""
    try:
        from vigisante.indicators.extraction import guess_type as extraction_guess
    except ImportError:
        return _fallback_guess(value)
    return extraction_guess(value) or _fallback_guess(value)


def _fallback_guess(value: str) -> str | None:
    import ipaddress
    import re

    value = value.strip()
    for type_, pattern in (("md5", r"[0-9a-fA-F]{32}"), ("sha1", r"[0-9a-fA-F]{40}"),
                           ("sha256", r"[0-9a-fA-F]{64}"), ("cve", r"(?i)cve-\d{4}-\d{4,}")):
        if re.fullmatch(pattern, value):
            return type_
    try:
        return "ipv4" if ipaddress.ip_address(value).version == 4 else "ipv6"
    except ValueError:
        pass
    if "://" in value:
        return "url"
    if "@" in value:
        return "email"
    if re.fullmatch(r"(?i)[a-z0-9._-]+\.[a-z][a-z0-9-]+\.?", value):
        return "onion" if value.lower().rstrip(".").endswith(".onion") else "domain"
    return None


def _print_match(out: TextIO, name: str, match: Match, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps({"file": name, "line": match.line_no,
                              "type": match.indicator.type, "indicator": match.indicator.value,
                              "text": match.line}, ensure_ascii=False) + "\n")
    else:
        out.write(f"{name}:{match.line_no}: {match.indicator.type} {match.indicator.value}"
                  f"  | {match.line}\n")


def scan_files(matcher: Matcher, paths: list[str], out: TextIO, err: TextIO, *,
               as_json: bool, limit: int) -> tuple[dict[tuple[str, str], Tally], bool, int]:
    """Print the matches of every log; return the tallies, whether a log failed, the lines."""
    tallies: dict[tuple[str, str], Tally] = {}
    failed = False
    lines = 0
    for path in paths:
        name = "(stdin)" if path == "-" else path
        printed = 0
        try:
            for match in matcher.scan(path):
                key = (match.indicator.type, match.indicator.value)
                tally = tallies.setdefault(key, Tally(*key))
                tally.count += 1
                tally.files.add(name)
                if not limit or printed < limit:
                    _print_match(out, name, match, as_json)
                    printed += 1
                elif printed == limit:
                    err.write(f"{name}: more than {limit} matching lines, the rest are "
                              "counted but not printed\n")
                    printed += 1
            lines += matcher.lines
        except LogReadError as exc:
            err.write(f"vigisante check-logs: {exc}\n")
            failed = True
        except KeyboardInterrupt:
            err.write("vigisante check-logs: interrupted\n")
            raise SystemExit(130) from None
    return tallies, failed, lines


def send_matches(url: str, token: str, tallies: dict[tuple[str, str], Tally],
                 establishment: str | None) -> dict:
    """Send the matched indicators (never a log line) to the platform; its answer."""
    base = feed_url(url)
    target = base[: -len(FEED_PATH)] + SEND_PATH
    payload = {"matches": [{"type": t.type, "value": t.value, "count": t.count}
                           for t in sorted(tallies.values(), key=lambda t: (t.type, t.value))]}
    if establishment:
        payload["establishment"] = establishment
    return _request(target, token, json.dumps(payload).encode("utf-8"))


def build_parser() -> argparse.ArgumentParser:
    epilog = "exit codes:\n" + "\n".join(f"  {k}  {v}" for k, v in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="vigisante check-logs", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Look for the platform's confirmed indicators in local logs (proxy, DNS, "
                    "firewall, mail; gzip, bzip2 and xz too). The logs never leave this "
                    "machine; with --send, only the matched indicators and counts are sent.",
        epilog=epilog)
    parser.add_argument("files", nargs="+", metavar="FILE", help="log files; - for stdin")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--feed", metavar="URL",
                        help="the platform's URL (or its /api/v1/indicators/ feed)")
    source.add_argument("--feed-file", metavar="FILE",
                        help="a saved feed (JSON) or a text file of indicators, one a line")
    parser.add_argument("--token", metavar="T",
                        help="API token (default: the VIGISANTE_TOKEN environment variable)")
    parser.add_argument("--save-feed", metavar="FILE",
                        help="also save the downloaded feed as JSON, for --feed-file")
    parser.add_argument("--send", action="store_true",
                        help="send the matched indicators and their counts (no log line) to "
                             "the platform, which opens an early warning for the establishment")
    parser.add_argument("--establishment", metavar="FINESS",
                        help="with --send, the establishment reporting (if you have several)")
    parser.add_argument("--json", action="store_true", help="one JSON object per match")
    parser.add_argument("--max-per-file", type=int, default=1000, metavar="N",
                        help="print at most N matching lines per file (0: all; default 1000)")
    return parser


def main(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command; return its exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    token = args.token or os.environ.get("VIGISANTE_TOKEN", "")
    if args.feed and not token:
        err.write("vigisante check-logs: --feed needs a token (--token or VIGISANTE_TOKEN)\n")
        return 2
    if args.send and not args.feed:
        err.write("vigisante check-logs: --send needs --feed (the platform to send to)\n")
        return 2
    try:
        if args.feed:
            indicators = fetch_feed(args.feed, token)
            if args.save_feed:
                with open(args.save_feed, "w", encoding="utf-8") as f:
                    json.dump({"results": [{"type": t, "value": v} for t, v in indicators]}, f)
        else:
            indicators = read_feed_file(args.feed_file)
    except FeedError as exc:
        err.write(f"vigisante check-logs: {exc}\n")
        return 3
    except OSError as exc:
        err.write(f"vigisante check-logs: cannot save the feed ({exc.strerror or exc})\n")
        return 2
    matcher = Matcher(indicators)
    err.write(f"vigisante check-logs: {len(matcher.indicators)} indicators"
              + (f" ({len(matcher.rejected)} unusable values skipped)" if matcher.rejected
                 else "") + "\n")
    tallies, failed, lines = scan_files(matcher, args.files, out, err, as_json=args.json,
                                        limit=max(0, args.max_per_file))
    err.write(f"vigisante check-logs: {lines} lines read, {sum(t.count for t in tallies.values())}"
              f" matching lines, {len(tallies)} indicators found\n")
    if args.send:
        if not tallies:
            err.write("vigisante check-logs: nothing to send\n")
        else:
            try:
                answer = send_matches(args.feed, token, tallies, args.establishment)
            except FeedError as exc:
                err.write(f"vigisante check-logs: sending failed: {exc}\n")
                return 4
            reference = answer.get("reference", "") if isinstance(answer, dict) else ""
            err.write(f"vigisante check-logs: sent; report {reference}\n")
    if failed:
        return 2
    return 1 if tallies else 0
