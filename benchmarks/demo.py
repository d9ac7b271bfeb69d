"""Time `vigisante demo --no-serve --json` on a fresh data folder (target: under 30 s).

    .venv/bin/python benchmarks/demo.py [--runs 3] [--record]

Each run uses a new VIGISANTE_DATA_DIR (SQLite): migrations, synthetic data, accounts and
tokens, exactly what a new user waits for before the site starts. Prints one JSON line per
figure ({"name", "ours", "peer", "ratio", "unit", "n"}; peer = the 30 s limit, ratio =
time / limit, lower is better) and, with --record, rewrites the "Demo" section of
benchmarks/RESULTS.md. Wall time depends on what else the machine runs; the CPU time of the
command (user + sys) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S = 30.0
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LOAD_AT_START = os.getloadavg()[0]


def one_run() -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and number of reports of one fresh demo."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    with tempfile.TemporaryDirectory(prefix="vigisante-demo-bench-") as tmp:
        env["VIGISANTE_DATA_DIR"] = str(Path(tmp) / "data")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "vigisante.cli", "demo", "--no-serve",
                               "--json"], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit(f"demo failed:\n{done.stderr}")
        json.loads(done.stdout)  # exactly one JSON object
        found = re.search(r"(\d+) reports", done.stderr)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, int(found.group(1)) if found else 0


def record(lines: list[dict], runs: int) -> None:
    wall, cpu = lines
    section = (
        "## Demo\n\n"
        f"`.venv/bin/python benchmarks/demo.py --runs {runs} --record` — "
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores (load average {LOAD_AT_START:.1f} when it started), "
        "SQLite in a fresh data folder; median of the runs.\n\n"
        "| figure | ours | limit | ratio (lower is better) | reports loaded |\n"
        "|---|---|---|---|---|\n"
        f"| `vigisante demo --no-serve --json`, wall time | {wall['ours']:.1f} s | "
        f"{LIMIT_S:.0f} s | {wall['ratio']:.2f} | {wall['n']} |\n"
        f"| same, CPU time (user + sys) | {cpu['ours']:.1f} s | {LIMIT_S:.0f} s | "
        f"{cpu['ratio']:.2f} | {cpu['n']} |\n\n"
        "Wall time depends on the load of the machine (it is shared while developing); "
        "the CPU time is what an idle machine would take, give or take the disk.\n"
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Demo\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    results = [one_run() for _ in range(args.runs)]
    n = results[0][2]
    lines = []
    for name, values in (("demo_ready_wall", [r[0] for r in results]),
                         ("demo_ready_cpu", [r[1] for r in results])):
        ours = statistics.median(values)
        line = {"name": name, "ours": round(ours, 2), "peer": LIMIT_S,
                "ratio": round(ours / LIMIT_S, 3), "unit": "s", "n": n,
                "runs": [round(v, 2) for v in values]}
        print(json.dumps(line))
        lines.append(line)
    if args.record:
        record(lines, args.runs)


if __name__ == "__main__":
    main()
