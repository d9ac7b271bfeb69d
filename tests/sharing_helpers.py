"""Shared pieces of the STIX/MISP tests: generated indicators and the reference checkers."""

from __future__ import annotations

import datetime as dt
import string
from types import SimpleNamespace

from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_instance

TLPS = ["clear", "green", "amber", "amber+strict", "red"]
_HEX = "0123456789abcdef"
_LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def value_strategy(type_: str):
    """Values as the indicators app stores them (hostile characters where the type allows)."""
    if type_ == "ipv4":
        return st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
    if type_ == "ipv6":
        return st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8).map(
            lambda g: ":".join(f"{x:x}" for x in g))
    if type_ == "domain":
        return st.tuples(_LABEL, _LABEL).map(lambda t: f"{t[0]}.{t[1]}.example")
    if type_ == "onion":
        return st.text(string.ascii_lowercase + "234567", min_size=56, max_size=56).map(
            lambda s: s + ".onion")
    if type_ == "url":
        return st.tuples(_LABEL, st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)).map(
            lambda t: f"https://{t[0]}.example/{t[1]}")
    if type_ == "email":
        return st.tuples(_LABEL, _LABEL).map(lambda t: f"{t[0]}@{t[1]}.example")
    if type_ in ("md5", "sha1", "sha256"):
        n = {"md5": 32, "sha1": 40, "sha256": 64}[type_]
        return st.text(_HEX, min_size=n, max_size=n)
    if type_ == "cve":
        return st.tuples(st.integers(1999, 2030), st.integers(1000, 9999999)).map(
            lambda t: f"CVE-{t[0]}-{t[1]}")
    if type_ == "bitcoin":
        return st.text(_B58, min_size=26, max_size=34).map(lambda s: "1" + s)
    raise ValueError(type_)


TYPES = ["ipv4", "ipv6", "domain", "onion", "url", "email", "md5", "sha1", "sha256", "cve",
         "bitcoin"]
_TIMES = st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2030, 1, 1),
                      timezones=st.just(dt.UTC))


@st.composite
def indicators(draw):
    type_ = draw(st.sampled_from(TYPES))
    first = draw(_TIMES)
    reviewed = draw(st.none() | _TIMES.filter(lambda t: t >= first))
    return SimpleNamespace(type=type_, value=draw(value_strategy(type_)),
                           tlp=draw(st.sampled_from(TLPS)),
                           confidence=draw(st.integers(0, 100)), first_seen=first,
                           reviewed_at=reviewed)


_PROSE = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                 max_size=200).filter(lambda s: s.strip())


@st.composite
def campaigns(draw):
    created = draw(_TIMES)
    return SimpleNamespace(pk=draw(st.integers(1, 10**6)), created_at=created,
                           confirmed_at=draw(st.none() | st.just(created)),
                           reviewed_at=draw(st.none() | _TIMES.filter(lambda t: t >= created)))


@st.composite
def alerts(draw):
    created = draw(_TIMES)
    return SimpleNamespace(pk=draw(st.integers(1, 10**6)), title=draw(_PROSE),
                           situation=draw(_PROSE), actions=draw(_PROSE),
                           tlp=draw(st.sampled_from(TLPS)), created_at=created,
                           updated_at=created, sent_at=draw(st.none() | st.just(created)))


OPTIONS = ValidationOptions(version="2.1")


def stix_errors(bundle: dict) -> list[str]:
    """stix2-validator's errors for a bundle (warnings are not errors)."""
    result = validate_instance(bundle, OPTIONS)
    errors = [str(e) for e in result.errors]
    for obj in getattr(result, "object_results", None) or []:
        errors += [f"{obj.object_id}: {e}" for e in obj.errors]
    return errors
