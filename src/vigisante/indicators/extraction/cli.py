"""`vigisante iocs [FILE|-] [--json]`: indicators of a file or of standard input.

Needs no database and no Django settings. Exit codes: 0 done, 1 unreadable input (binary,
invalid encoding, too large, malformed e-mail), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import TYPES, ExtractionError
from ._inputs import extract_file_details
from .warninglists import default_lists, filter_indicators

LABELS = {"ipv4": "IPv4", "ipv6": "IPv6", "domain": "Domains", "url": "URLs",
          "email": "E-mail addresses", "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256",
          "cve": "CVE", "bitcoin": "Bitcoin addresses", "onion": "Onion services"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with a one-line message, no usage dump to stdout
        self.print_usage(sys.stderr)
        self.exit(2, f"vigisante iocs: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vigisante iocs",
                description="Print the indicators of compromise found in a file (text, log, "
                            "CSV, HTML or e-mail .eml) or standard input.")
    p.add_argument("file", nargs="?", default="-", help="file to read, '-' for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--keep-private", action="store_true",
                   help="keep private, reserved and documentation addresses and domains")
    p.add_argument("--warninglists", action="store_true",
                   help="also drop values of MISP's warning lists (large providers, ...)")
    p.add_argument("--encoding", help="text encoding of the input (default: UTF-8, else "
                                      "UTF-16 with a BOM, else cp1252, else latin-1)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.file == "-":
            result, attachments = extract_file_details(sys.stdin.buffer, "",
                                                       encoding=args.encoding)
        else:
            try:
                with open(args.file, "rb") as fh:
                    result, attachments = extract_file_details(fh, args.file,
                                                               encoding=args.encoding)
            except IsADirectoryError:
                raise ExtractionError(f"{args.file} is a directory.") from None
            except FileNotFoundError:
                raise ExtractionError(f"{args.file}: no such file.") from None
            except PermissionError:
                raise ExtractionError(f"{args.file}: permission denied.") from None
            except OSError as exc:
                raise ExtractionError(f"{args.file}: {exc.strerror or exc}.") from None
    except ExtractionError as exc:
        print(f"vigisante iocs: {exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print("vigisante iocs: not enough memory for this input.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    dropped = {}
    if not args.keep_private or args.warninglists:
        lists = default_lists(large_providers=args.warninglists)
        if args.keep_private:
            lists = lists[2:]
        result, dropped = filter_indicators(result, lists)
    if args.json:
        obj = {t: result[t] for t in TYPES}
        if attachments is not None:
            obj["attachments"] = [{"name": a.name, "content_type": a.content_type,
                                   "size": a.size, "sha256": a.sha256} for a in attachments]
        print(json.dumps(obj, ensure_ascii=False, indent=None))
        return 0
    out = []
    total = 0
    for t in TYPES:
        if result[t]:
            out.append(f"{LABELS[t]} ({len(result[t])})")
            out.extend(f"  {v}" for v in result[t])
            total += len(result[t])
    if attachments:
        out.append(f"Attachments ({len(attachments)})")
        out.extend(f"  {a.name or '(no name)'}  {a.content_type}  {a.size} bytes  sha256 {a.sha256}"
                   for a in attachments)
    if not total:
        out.append("No indicator found.")
    n_dropped = sum(len(v) for v in dropped.values())
    if n_dropped:
        out.append(f"({n_dropped} value(s) left out by warning lists; --keep-private keeps "
                   "private and documentation values)")
    print("\n".join(out))
    return 0
