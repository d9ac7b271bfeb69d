"""The demo's sharing endpoints: a partner's machine account (TAXII 2.1 by HTTP Basic or
token, writer of the inbox), its fresh token for the feeds, and the demo's alerts, campaigns
and confirmed indicators published into the TAXII collections (docs/taxii.md, docs/feeds.md)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vigisante.demo.data import DEMO_PASSWORD

PARTNER_EMAIL = "partenaire.taxii@demo.example.org"
TOKEN_NAME = "demo"


def prepare(url: str) -> dict[str, Any]:
    """Create (once) the partner machine account, give it a fresh token (the previous one
    is revoked), publish into the collections; the `taxii` and `feeds` keys of the demo."""
    from vigisante.accounts.models import ApiToken, Role, User
    from vigisante.taxii import publication
    from vigisante.taxii.defaults import ensure_collections
    from vigisante.taxii.models import Collection

    base = url.rstrip("/")
    with transaction.atomic():
        ensure_collections()
        partner = User.objects.filter(email=PARTNER_EMAIL).first()
        if partner is None:
            partner = User.objects.create_user(
                email=PARTNER_EMAIL, password=DEMO_PASSWORD, role=Role.MACHINE,
                full_name="CERT partenaire (fictif) - compte machine TAXII")
        Collection.objects.get(alias="inbox").writers.add(partner)
        ApiToken.objects.filter(user=partner, name=TOKEN_NAME, revoked_at__isnull=True) \
            .update(revoked_at=timezone.now())
        _token, raw = ApiToken.issue(partner, TOKEN_NAME)
    publication.publish()
    manifest = reverse("sharing:misp-feed-manifest")
    return {
        "taxii": {"url": base + reverse("taxii:discovery"), "username": PARTNER_EMAIL,
                  "password": DEMO_PASSWORD, "token": raw},
        "feeds": {"misp": base + manifest.rsplit("/", 1)[0] + "/",
                  "text": base + reverse("feeds:text", args=["domain"]), "token": raw},
    }
