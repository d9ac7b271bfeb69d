"""Issue 8 benchmarks, one run: `--part stix` (part 1, this file's `stix_export`): export of N
indicators as one STIX 2.1 bundle, ours (`vigisante.sharing.stix`, plain dicts and one
`json.dumps`) against building the same bundle with the `stix2` library (the OASIS reference,
`pip install -e ".[test]"`), same objects, same ids, serialised to JSON. Both outputs are
checked: same set of ids, and a seeded sample of objects of each validated by stix2-validator
with zero errors. `--part taxii` is part 2 (helper "taxii"), when present.

    .venv/bin/python benchmarks/sharing.py --part stix [--n 100000] [--sample 2000]

Prints one JSON line per figure ({"name", "ours", "peer", "ratio", "unit", "n"}).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigisante.config.test_settings")

TYPES = ["ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "cve", "bitcoin",
         "onion"]
TLPS = ["clear", "green", "amber", "amber+strict", "red"]


def make_indicators(n: int, seed: int = 8) -> list[SimpleNamespace]:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        type_ = TYPES[i % len(TYPES)]
        h = f"{rng.getrandbits(256):064x}"
        value = {
            "ipv4": f"198.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            "ipv6": f"2001:db8::{i:x}", "domain": f"host{i}.bad-{h[:6]}.com",
            "url": f"https://bad-{h[:8]}.com/p/{i}?q='x'", "email": f"u{i}@bad-{h[:6]}.com",
            "md5": h[:32], "sha1": h[:40], "sha256": h, "cve": f"CVE-2025-{10000 + i}",
            "bitcoin": "1" + "".join(rng.choice("abcdefghijkmnopqrstuvwxyz23456789")
                                     for _ in range(30)),
            "onion": h[:56].replace("0", "a").replace("1", "b").replace("8", "c")
            .replace("9", "d") + ".onion"}[type_]
        first = start + dt.timedelta(minutes=i)
        out.append(SimpleNamespace(type=type_, value=value, tlp=TLPS[i % 5],
                                   confidence=rng.randint(0, 100), first_seen=first,
                                   reviewed_at=first + dt.timedelta(hours=1)))
    return out


def ours(items) -> str:
    from vigisante.sharing import stix

    return stix.dumps(stix.bundle(stix.indicator_objects(items)))


def peer(items, reference: dict) -> str:
    """The same objects (ids and times taken from ours) built and serialised by stix2."""
    import stix2

    by_id = {o["id"]: o for o in reference["objects"]}
    objects = []
    for obj in reference["objects"]:
        kind = obj["type"]
        if kind == "marking-definition":
            objects.append(stix2.MarkingDefinition(**obj))
        elif kind == "identity":
            objects.append(stix2.Identity(**obj))
    for item_obj in (by_id[i] for i in by_id if i.startswith(("indicator--",
                                                             "vulnerability--"))):
        if item_obj["type"] == "indicator":
            objects.append(stix2.Indicator(allow_custom=True, **item_obj))
        else:
            objects.append(stix2.Vulnerability(**item_obj))
    return stix2.Bundle(objects=objects, id=reference["id"], allow_custom=True).serialize()


def _validate_sample(bundle: dict, sample: int, seed: int = 3) -> list[str]:
    from stix2validator import ValidationOptions, validate_instance

    rng = random.Random(seed)
    objects = bundle["objects"]
    chosen = rng.sample(objects, min(sample, len(objects)))
    small = {"type": "bundle", "id": bundle["id"], "objects": chosen}
    result = validate_instance(small, ValidationOptions(version="2.1"))
    errors = [str(e) for e in result.errors]
    for obj in getattr(result, "object_results", None) or []:
        errors += [str(e) for e in obj.errors]
    return errors


def stix_export(n: int, sample: int, repeat: int) -> list[dict]:
    import django

    django.setup()
    items = make_indicators(n)
    ours_times, peer_times = [], []
    out_ours = out_peer = ""
    for _ in range(repeat):
        t = time.perf_counter()
        out_ours = ours(items)
        ours_times.append(time.perf_counter() - t)
    reference = json.loads(out_ours)
    for _ in range(max(1, repeat // 3)):
        t = time.perf_counter()
        out_peer = peer(items, reference)
        peer_times.append(time.perf_counter() - t)
    peer_bundle = json.loads(out_peer)
    same_ids = {o["id"] for o in reference["objects"]} == {o["id"] for o in
                                                            peer_bundle["objects"]}
    errors_ours = _validate_sample(reference, sample)
    errors_peer = _validate_sample(peer_bundle, sample)
    a, b = statistics.median(ours_times), statistics.median(peer_times)
    return [
        {"name": "stix_export_indicators_per_s", "ours": round(n / a), "peer": round(n / b),
         "ratio": round(b / a, 1), "unit": "indicators/s", "n": n,
         "ours_s": round(a, 2), "peer_s": round(b, 2), "same_ids": same_ids,
         "validator_errors_ours": len(errors_ours), "validator_errors_peer": len(errors_peer),
         "validated_sample": sample, "bytes_ours": len(out_ours), "bytes_peer": len(out_peer)},
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["stix", "taxii", "all"], default="stix")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args, rest = parser.parse_known_args(argv)
    if args.part in ("stix", "all"):
        for line in stix_export(args.n, args.sample, args.repeat):
            print(json.dumps(line), flush=True)
    if args.part in ("taxii", "all"):
        taxii = globals().get("taxii_paging")
        if taxii is None:
            print(json.dumps({"name": "taxii", "error": "part 2 not in this script yet"}))
        else:
            taxii(rest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
