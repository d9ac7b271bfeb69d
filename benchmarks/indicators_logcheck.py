"""Log check benchmark: a generated log against many indicators, ours against `grep -F -f`.

Generates (deterministic seed) N indicators (domains, IPv4, URLs, SHA-256, MD5, e-mails) and a
log of S MB mixing proxy (squid), DNS (bind), firewall (iptables) and mail (postfix) lines,
about 1 line in 1,000 holding an indicator. Then, in the same run and on the same files:

- ours: `vigisante.indicators.logcheck.Matcher`, compiled from the indicators, scanning the
  file (token boundaries checked, case-insensitive, defanged values too);
- peer: `LC_ALL=C grep -F -c -f patterns.txt log` (the indicator values as plain strings;
  grep checks no boundary, so it also counts look-alike lines, `notevil.example`).

Both times include compiling the patterns. Prints one JSON line per figure
{"name", "ours", "peer", "ratio", "unit", "n"}: lines/s (ratio = ours / peer; the aim is at
least 0.5), the compile time, the matching lines found, and, when the optional `hyperscan`
wheel is installed, its compile and raw scan time (the engine comparison).

    .venv/bin/python benchmarks/indicators_logcheck.py                   # 100 MB, 100,000
    .venv/bin/python benchmarks/indicators_logcheck.py --mb 10 --indicators 10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

TLDS = ["com", "net", "org", "fr", "io", "info", "biz", "ru", "xyz", "top"]
ALPHA = "abcdefghijklmnopqrstuvwxyz"


def _name(rnd: random.Random) -> str:
    return "".join(rnd.choice(ALPHA) for _ in range(rnd.randint(5, 12)))


def _ip(rnd: random.Random) -> str:
    return ".".join(str(rnd.randint(1, 254)) for _ in range(4))


def make_indicators(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """Deterministic indicators: 50% domains, 25% IPv4, 10% URLs, 10% hashes, 5% e-mails."""
    rnd = random.Random(seed)
    out: list[tuple[str, str]] = []
    for i in range(n):
        k = i % 20
        if k < 10:
            out.append(("domain", f"{_name(rnd)}.{rnd.choice(TLDS)}"))
        elif k < 15:
            out.append(("ipv4", _ip(rnd)))
        elif k < 17:
            out.append(("url", f"http://{_name(rnd)}.{rnd.choice(TLDS)}/{_name(rnd)}.php"))
        elif k < 18:
            out.append(("sha256", f"{rnd.getrandbits(256):064x}"))
        elif k < 19:
            out.append(("md5", f"{rnd.getrandbits(128):032x}"))
        else:
            out.append(("email", f"{_name(rnd)}@{_name(rnd)}.{rnd.choice(TLDS)}"))
    return out


def _host(value_type: str, value: str) -> str:
    if value_type == "url":
        return value.split("://", 1)[1]
    if value_type == "email":
        return value.split("@", 1)[1]
    return value


def make_log(path: Path, megabytes: float, indicators: list[tuple[str, str]],
             seed: int = 11) -> int:
    """Write the log; return its number of lines."""
    rnd = random.Random(seed)
    benign = [f"{_name(rnd)}.{rnd.choice(TLDS)}" for _ in range(5000)]
    hits = [(t, v) for t, v in indicators if t != "md5"]
    target = int(megabytes * 1_000_000)
    written = lines = 0
    with open(path, "w", encoding="ascii") as f:
        while written < target:
            buf = []
            for _ in range(1000):
                hit = rnd.random() < 0.001
                t, v = rnd.choice(hits) if hit else ("domain", rnd.choice(benign))
                host = _host(t, v) if t in ("domain", "url", "email") else rnd.choice(benign)
                ip = v if hit and t == "ipv4" else _ip(rnd)
                kind = rnd.randrange(4)
                ts = 1_700_000_000 + lines
                if kind == 0:
                    path_ = "" if t == "url" else f"/p/{rnd.randint(1, 99999)}.html"
                    extra = v if t in ("sha256",) else "-"
                    buf.append(f"{ts}.{rnd.randint(100, 999)} {rnd.randint(1, 900)} "
                               f"10.1.{rnd.randint(0, 255)}.{rnd.randint(1, 254)} TCP_MISS/200 "
                               f"{rnd.randint(100, 99999)} GET http://{host}{path_} {extra} "
                               f"HIER_DIRECT/{ip} text/html\n")
                elif kind == 1:
                    buf.append(f"30-Nov-2026 12:00:{lines % 60:02d}.{rnd.randint(100, 999)} "
                               f"queries: info: client @0x7f 10.2.{rnd.randint(0, 255)}."
                               f"{rnd.randint(1, 254)}#{rnd.randint(1024, 65535)} ({host}): "
                               f"query: {host} IN A +E(0) ({ip})\n")
                elif kind == 2:
                    buf.append(f"Nov 30 12:00:{lines % 60:02d} fw kernel: DROP IN=eth0 OUT= "
                               f"SRC={ip} DST=10.3.{rnd.randint(0, 255)}.{rnd.randint(1, 254)} "
                               f"LEN=60 TTL=52 PROTO=TCP SPT={rnd.randint(1024, 65535)} "
                               f"DPT=443\n")
                else:
                    sender = v if t == "email" else f"{_name(rnd)}@{host}"
                    buf.append(f"Nov 30 12:00:{lines % 60:02d} mx postfix/smtpd[{lines % 9999}]: "
                               f"{rnd.getrandbits(40):X}: client=mail.{host}[{ip}], "
                               f"from=<{sender}>\n")
                lines += 1
            chunk = "".join(buf)
            f.write(chunk)
            written += len(chunk)
    return lines


def grep_patterns(indicators: list[tuple[str, str]]) -> str:
    """What a person would give grep: each value as it appears in logs."""
    return "".join(f"{_host(t, v) if t == 'url' else v}\n" for t, v in indicators)


def run_ours(log: Path, indicators: list[tuple[str, str]]) -> tuple[float, float, int]:
    from vigisante.indicators.logcheck import Matcher

    start = time.perf_counter()
    matcher = Matcher(indicators)
    compiled = time.perf_counter()
    matched_lines = len({m.line_no for m in matcher.scan(str(log))})
    return time.perf_counter() - start, compiled - start, matched_lines


def run_grep(log: Path, patterns: Path) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run(["grep", "-F", "-c", "-f", str(patterns), str(log)],
                         capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    elapsed = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise SystemExit(f"grep failed: {out.stderr}")
    return elapsed, int(out.stdout.strip() or 0)


def run_hyperscan(log: Path, patterns: list[bytes]) -> tuple[float, float] | None:
    """Compile and raw scan time of hyperscan (no boundary check), if its wheel is installed."""
    try:
        import hyperscan
    except ImportError:
        return None
    start = time.perf_counter()
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns),
               flags=0, literal=True)
    compiled = time.perf_counter()
    found: list[int] = []
    with open(log, "rb") as f:
        while block := f.read(1 << 20):
            db.scan(block.lower(), match_event_handler=lambda i, a, b, fl, c: found.append(i))
    return compiled - start, time.perf_counter() - compiled


def emit(name: str, ours, peer, unit: str, n: int) -> None:
    ratio = round(ours / peer, 3) if isinstance(peer, int | float) and peer else None
    print(json.dumps({"name": name, "ours": ours, "peer": peer, "ratio": ratio, "unit": unit,
                      "n": n}), flush=True)


def run(megabytes: float = 100, n_indicators: int = 100_000, engines: bool = True) -> None:
    indicators = make_indicators(n_indicators)
    with tempfile.TemporaryDirectory(prefix="vs-logcheck-") as tmp:
        log, patterns = Path(tmp, "access.log"), Path(tmp, "patterns.txt")
        lines = make_log(log, megabytes, indicators)
        patterns.write_text(grep_patterns(indicators), encoding="ascii")
        grep_s, grep_lines = run_grep(log, patterns)
        ours_s, compile_s, our_lines = run_ours(log, indicators)
        emit("logcheck_lines_per_s", round(lines / ours_s), round(lines / grep_s), "lines/s",
             n_indicators)
        emit("logcheck_mb_per_s", round(log.stat().st_size / 1e6 / ours_s, 2),
             round(log.stat().st_size / 1e6 / grep_s, 2), "MB/s", n_indicators)
        emit("logcheck_compile_s", round(compile_s, 2), None, "s", n_indicators)
        emit("logcheck_matching_lines", our_lines, grep_lines,
             "lines (peer: grep, no token boundaries)", lines)
        if engines:
            hs = run_hyperscan(log, [p.encode() for p in grep_patterns(indicators).split()])
            if hs is not None:
                emit("logcheck_engine_compile_s", round(compile_s, 2), round(hs[0], 2),
                     "s (peer: hyperscan literal compile)", n_indicators)
                emit("logcheck_engine_total_s", round(ours_s, 2), round(hs[0] + hs[1], 2),
                     "s (peer: hyperscan compile + raw scan, no boundary check)", n_indicators)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=100, help="size of the log in MB")
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--no-engines", action="store_true",
                        help="skip the hyperscan comparison")
    args = parser.parse_args()
    run(args.mb, args.indicators, engines=not args.no_engines)


if __name__ == "__main__":
    main()
