"""Issue 8 benchmarks, one run: `--part stix` (part 1, this file's `stix_export`): export of N
indicators as one STIX 2.1 bundle, ours (`vigisante.sharing.stix`, plain dicts and one
`json.dumps`) against building the same bundle with the `stix2` library (the OASIS reference,
`pip install -e ".[test]"`), same objects, same ids, serialised to JSON. Both outputs are
checked: same set of ids, and a seeded sample of objects of each validated by stix2-validator
with zero errors. `--part taxii` is part 2 (`taxii_paging`): taxii2-client paging through N
indicator objects from our TAXII server against medallion (memory backend), both on loopback
(needs the `bench` extra: `pip install -e ".[test,bench]"`).

    .venv/bin/python benchmarks/sharing.py --part stix [--n 100000] [--sample 2000]
    .venv/bin/python benchmarks/sharing.py --part taxii [--n 100000] [--page 1000] [--repeat 3]

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


# --- part 2: TAXII paging, ours against medallion ------------------------------------------

OURS_PORT, PEER_PORT = 8131, 8132  # helper "taxii"'s port base is 8130
BENCH_PASSWORD = "bench-taxii-password-1"
STIX = "application/stix+json;version=2.1"


def _taxii_objects(n: int) -> list[dict]:
    from vigisante.sharing import stix

    return stix.indicator_objects(make_indicators(n))


def taxii_load(argv) -> None:
    """Subprocess: migrate a fresh data folder, store N indicator objects in the collection for
    everyone, create a machine account; prints its token (run with the real settings)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--peer-n", type=int, required=True)
    args = parser.parse_args(argv)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from vigisante.accounts.models import ApiToken, Role, User
    from vigisante.taxii import storage
    from vigisante.taxii.models import Collection

    everyone = Collection.objects.get(alias="everyone")
    partners = Collection.objects.get(alias="partners")  # the first peer_n only
    objects = _taxii_objects(args.n)
    for start in range(0, len(objects), 10_000):
        storage.store(everyone, objects[start:start + 10_000])
    storage.store(partners, objects[:args.peer_n])
    user = User.objects.create_user(email="bench@partner.example", password=BENCH_PASSWORD,
                                    role=Role.MACHINE)
    print(json.dumps({"collection": str(everyone.pk), "small": str(partners.pk),
                      "token": ApiToken.issue(user, "bench")[1]}), flush=True)


def _medallion_files(folder: Path, objects: list[dict], page: int) -> Path:
    """medallion's memory backend data (objects and manifest as its add_objects keeps them)
    and configuration."""
    from vigisante.taxii import protocol

    root = f"http://127.0.0.1:{PEER_PORT}/api1/"
    start = dt.datetime.now(dt.UTC)
    manifest = [{"id": o["id"],
                 "date_added": protocol.format_timestamp(start + dt.timedelta(microseconds=i)),
                 "version": o["modified"], "media_type": STIX}
                for i, o in enumerate(objects)]
    data = {
        "/discovery": {"title": "medallion", "default": root, "api_roots": [root]},
        "api1": {"information": {"title": "api1", "versions": [
            "application/taxii+json;version=2.1"], "max_content_length": 10 * 2**20},
            "status": [],
            "collections": [{"id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "bench",
                             "can_read": True, "can_write": False, "media_types": [STIX],
                             "objects": objects, "manifest": manifest}]},
    }
    (folder / "data.json").write_text(json.dumps(data), encoding="utf-8")
    config = {"backend": {"module_class": "MemoryBackend",
                          "module": "medallion.backends.memory_backend",
                          "filename": str(folder / "data.json")},
              "users": {"bench": BENCH_PASSWORD}, "taxii": {"max_page_size": page}}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder / "config.json"


def _wait_for(url: str, proc, seconds: float = 600.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (401 without credentials)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def _page_through(collection, page: int) -> tuple[float, list[str]]:
    from taxii2client.v21 import as_pages

    t = time.perf_counter()
    ids = [o["id"] for envelope in as_pages(collection.get_objects, per_request=page)
           for o in envelope.get("objects", [])]
    return time.perf_counter() - t, ids


def taxii_paging(argv) -> None:
    """taxii2-client pages through indicator objects: from our server (`vigisante serve`,
    gunicorn, one worker, the database of a fresh data folder: SQLite, or PostgreSQL when
    VIGISANTE_DATABASE_URL is set) and from medallion (memory backend, its own server), both
    on loopback, the same page size; objects/s, median of --repeat.

    medallion's memory backend matches every object against the whole manifest, parsing
    timestamps each time: its time grows with the square of the collection (5,000 objects
    took 400 s here), so 100,000 is out of reach. Both serve the same `--peer-n` objects
    (the ratio), and ours also pages through all `--n`."""
    import subprocess
    import tempfile

    from taxii2client.common import TokenAuth
    from taxii2client.v21 import Collection

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-n", type=int, default=2000)
    args, _rest = parser.parse_known_args(argv)
    args.peer_n = min(args.peer_n, args.n)
    folder = Path(tempfile.mkdtemp(prefix="vs_taxii_bench_"))
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(folder / "data"),
           "DJANGO_SETTINGS_MODULE": "vigisante.config.settings",
           "VIGISANTE_LOG_LEVEL": "WARNING"}
    load = subprocess.run([sys.executable, __file__, "--part", "taxii-load", "--n",
                           str(args.n), "--peer-n", str(args.peer_n)], env=env,
                          capture_output=True, text=True, check=True)
    loaded = json.loads(load.stdout.strip().splitlines()[-1])
    objects = _taxii_objects(args.n)
    config = _medallion_files(folder, objects[:args.peer_n], args.page)
    vigisante = str(Path(sys.executable).with_name("vigisante"))
    ours_proc = subprocess.Popen([vigisante, "serve", "--host", "127.0.0.1", "--port",
                                  str(OURS_PORT), "--workers", "1", "--no-migrate"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peer_proc = subprocess.Popen([sys.executable, "-m", "medallion.scripts.run", "--host",
                                  "127.0.0.1", "--port", str(PEER_PORT), str(config)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(f"http://127.0.0.1:{OURS_PORT}/taxii2/", ours_proc)
        _wait_for(f"http://127.0.0.1:{PEER_PORT}/taxii2/", peer_proc)
        base = f"http://127.0.0.1:{OURS_PORT}/taxii2/api/collections/"
        peer_url = (f"http://127.0.0.1:{PEER_PORT}/api1/collections/"
                    "91a7b528-80eb-42ed-a74d-c6fbd5a26116/")
        auth = TokenAuth(loaded["token"])
        big, small, peer = [], [], []
        expected_big = sorted(o["id"] for o in objects)
        expected_small = sorted(o["id"] for o in objects[:args.peer_n])
        for _ in range(args.repeat):
            with Collection(base + loaded["collection"] + "/", auth=auth) as remote:
                seconds, ids = _page_through(remote, args.page)
            assert sorted(ids) == expected_big, "ours: not every object exactly once"
            big.append(seconds)
            with Collection(base + loaded["small"] + "/", auth=auth) as remote:
                seconds, ids = _page_through(remote, args.page)
            assert sorted(ids) == expected_small, "ours: not every object exactly once"
            small.append(seconds)
            with Collection(peer_url, user="bench", password=BENCH_PASSWORD) as remote:
                seconds, ids = _page_through(remote, args.page)
            assert sorted(ids) == expected_small, "medallion: not every object exactly once"
            peer.append(seconds)
        db = "postgresql" if os.environ.get("VIGISANTE_DATABASE_URL") else "sqlite"
        a, b = statistics.median(small), statistics.median(peer)
        print(json.dumps({"name": "taxii_paging_objects_per_s", "ours": round(args.peer_n / a),
                          "peer": round(args.peer_n / b), "ratio": round(b / a, 1),
                          "unit": "objects/s", "n": args.peer_n, "page": args.page,
                          "ours_s": round(a, 3), "peer_s": round(b, 2), "database": db,
                          "ours_runs_s": [round(x, 3) for x in small],
                          "peer_runs_s": [round(x, 2) for x in peer]}), flush=True)
        c = statistics.median(big)
        print(json.dumps({"name": "taxii_paging_ours_full_objects_per_s",
                          "ours": round(args.n / c), "peer": None, "ratio": None,
                          "unit": "objects/s", "n": args.n, "page": args.page,
                          "ours_s": round(c, 2), "database": db,
                          "ours_runs_s": [round(x, 2) for x in big]}), flush=True)
    finally:
        for proc in (ours_proc, peer_proc):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["stix", "taxii", "all", "taxii-load"],
                        default="stix")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args, rest = parser.parse_known_args(argv)
    if args.part == "taxii-load":
        taxii_load(["--n", str(args.n), *rest])
        return 0
    if args.part in ("stix", "all"):
        for line in stix_export(args.n, args.sample, args.repeat):
            print(json.dumps(line), flush=True)
    if args.part in ("taxii", "all"):
        taxii_paging(["--n", str(args.n), "--repeat", str(args.repeat), *rest])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
