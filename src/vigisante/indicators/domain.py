"""Pure rules of indicators, warning lists and campaigns: no ORM, no clock."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

STATUSES = ("pending", "confirmed", "rejected")
TLPS = ("clear", "green", "amber", "amber+strict", "red")
# Where an indicator can be found in a report, in the order a first sighting is credited.
REPORT_TEXT_FIELDS = ("description", "perimeter", "patient_danger_narrative", "measures_taken",
                      "causes", "root_cause", "final_impact", "lessons_learned")
MAX_VALUE_BYTES = 2048


def review_errors(status: str, tlp: str, confidence) -> dict[str, str]:
    """What is wrong with an analyst's review: {field: error code}."""
    errors: dict[str, str] = {}
    if status not in STATUSES:
        errors["status"] = "status"
    if tlp not in TLPS:
        errors["tlp"] = "tlp"
    try:
        c = int(confidence)
    except (TypeError, ValueError):
        errors["confidence"] = "confidence"
    else:
        if not 0 <= c <= 100 or str(confidence).strip() not in (str(c), f"+{c}"):
            errors["confidence"] = "confidence"
    return errors


def parent_domains(domain: str) -> list[str]:
    """The domain and every parent under it (a.b.example.org -> itself, b.example.org, ...)."""
    labels = domain.strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [domain]


def host_of(type_: str, value: str) -> str | None:
    """The host name a domain, URL, e-mail or onion indicator is about, if any."""
    if type_ in ("domain", "onion"):
        return value
    if type_ == "email":
        return value.rpartition("@")[2] or None
    if type_ == "url":
        rest = value.partition("://")[2] or value
        host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = host.rpartition("@")[2]
        if host.startswith("["):
            return host[1:].split("]", 1)[0]
        return host.split(":", 1)[0] or None
    return None


def lookup_keys(type_: str, value: str) -> set[tuple[str, str]]:
    """(type, value) pairs of warning-list entries that would cover this indicator exactly or
    by a parent domain: the set-based lookup asks the database for exactly these."""
    keys = {(type_, value)}
    host = host_of(type_, value)
    if host:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            keys.update(("domain", d) for d in parent_domains(host))
        else:
            keys.add(("ipv4" if ip.version == 4 else "ipv6", str(ip)))
    return keys


def in_networks(type_: str, value: str, networks: Iterable) -> bool:
    """Is the IP of an indicator (or the IP host of its URL) in one of `networks`?"""
    host = value if type_ in ("ipv4", "ipv6") else host_of(type_, value)
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


def email_domains(emails: Iterable[str]) -> set[str]:
    """The lower-cased domains of e-mail addresses (a reporter's own organisation)."""
    out = set()
    for e in emails:
        _, at, dom = (e or "").strip().lower().rpartition("@")
        if at and dom and "." in dom:
            out.add(dom)
    return out


# --- campaigns --------------------------------------------------------------------------------

def components(pairs: Iterable[tuple[int, int]]) -> list[set[int]]:
    """Connected components of an undirected graph given by its edges (union-find)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, set[int]] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    return sorted(groups.values(), key=min)


def plan_attach(campaigns: list[dict]) -> tuple[int | None, list[int]]:
    """Given the campaigns already holding some reports of a new connected group (dicts with
    id, status, reviewed, created), choose the one the group joins and the untouched proposals
    merged into it. Confirmed campaigns and proposals an analyst has looked at are never merged
    automatically: analysts merge them (the new link puts them in their queue)."""
    if not campaigns:
        return None, []
    order = sorted(campaigns, key=lambda c: (c["status"] != "confirmed", c["created"], c["id"]))
    target = order[0]
    merged = [c["id"] for c in order[1:]
              if c["status"] == "proposed" and not c["reviewed"]]
    return target["id"], merged


def component_arrays(a, b):
    """Connected components of the undirected graph of edges (a[i], b[i]) (numpy integer
    arrays), vectorised: returns (nodes, root) where `nodes` are the sorted distinct node ids
    and root[i] is the index in `nodes` of the smallest node of nodes[i]'s component. Each
    round hooks every edge's larger root onto the smaller one, then jumps pointers until every
    node points at its root; the rounds stop when both ends of every edge share a root."""
    import numpy as np

    nodes, index = np.unique(np.concatenate([a, b]), return_inverse=True)
    u, v = index[:len(a)], index[len(a):]
    root = np.arange(len(nodes))
    while len(u):
        ru, rv = root[u], root[v]
        apart = ru != rv
        if not apart.any():
            break
        u, v = u[apart], v[apart]  # edges already inside one group never change again
        ru, rv = ru[apart], rv[apart]
        np.minimum.at(root, np.maximum(ru, rv), np.minimum(ru, rv))
        while True:
            jumped = root[root]
            if np.array_equal(jumped, root):
                break
            root = jumped
    return nodes, root
