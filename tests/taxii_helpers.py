"""Helpers of the TAXII and feeds tests: machine accounts, credentials, the STIX samples."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from conftest import PASSWORD, make_user

from vigisante.accounts.models import ApiToken, Role
from vigisante.taxii import storage
from vigisante.taxii.defaults import ensure_collections
from vigisante.taxii.models import Collection

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples" / "stix21"
TAXII = "application/taxii+json;version=2.1"


def sample(name: str) -> list[dict]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))["objects"]


def machine(email: str, establishments=()):
    return make_user(email, Role.MACHINE, establishments)


def basic(user, password: str = PASSWORD) -> dict:
    raw = base64.b64encode(f"{user.email}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}", "HTTP_ACCEPT": TAXII}


def token(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {ApiToken.issue(user, 'taxii test')[1]}",
            "HTTP_ACCEPT": TAXII}


def collection(alias: str) -> Collection:
    ensure_collections()
    return Collection.objects.get(alias=alias)


def fill(alias: str, *names: str) -> list[dict]:
    """Store the objects of the named samples in a collection; returns them."""
    objects = [o for name in names for o in sample(name)]
    storage.store(collection(alias), objects)
    return objects
