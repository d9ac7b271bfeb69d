"""The demo's sharing endpoints: a partner's machine account (TAXII 2.1 by HTTP Basic or
token, writer of the inbox), its fresh token for the feeds, the machine account of one
establishment that received the supplier-targeted TLP:AMBER alert (it reads its own collection
and no other establishment's), and the demo's alerts, campaigns and confirmed indicators
published into the TAXII collections (docs/taxii.md, docs/feeds.md)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vigisante.demo.data import DEMO_PASSWORD

PARTNER_EMAIL = "partenaire.taxii@demo.example.org"
ESTABLISHMENT_EMAIL = "pare-feu.taxii@demo.example.org"
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
    own = _establishment_account(base)
    manifest = reverse("sharing:misp-feed-manifest")
    return {
        "taxii": {"url": base + reverse("taxii:discovery"), "username": PARTNER_EMAIL,
                  "password": DEMO_PASSWORD, "token": raw, **own},
        "feeds": {"misp": base + manifest.rsplit("/", 1)[0] + "/",
                  "text": base + reverse("feeds:text", args=["domain"]), "token": raw},
    }


def _establishment_account(base: str) -> dict[str, Any]:
    """The machine account (a firewall) of an establishment with its own collection: the
    first one, by name, of a demo reporter's establishments that received an alert with
    finer targets (the hosting supplier's TLP:AMBER alert goes to its customers), else the
    first recipient by name. `{}` when no establishment has its own collection."""
    from vigisante.accounts.models import ApiToken, Membership, Role, User
    from vigisante.taxii.models import Audience, Collection

    owned = Collection.objects.filter(audience=Audience.ESTABLISHMENT) \
        .select_related("establishment").order_by("establishment__name", "pk")
    reporters = set(Membership.objects.filter(
        user__role=Role.REPORTER, user__email__endswith="@demo.example.org")
        .values_list("establishment_id", flat=True))
    collection = next((c for c in owned if c.establishment_id in reporters), None) \
        or owned.first()
    establishment = collection.establishment if collection is not None else None
    if collection is None or establishment is None:
        return {}
    with transaction.atomic():
        machine = User.objects.filter(email=ESTABLISHMENT_EMAIL).first()
        if machine is None:
            machine = User.objects.create_user(
                email=ESTABLISHMENT_EMAIL, password=DEMO_PASSWORD, role=Role.MACHINE,
                full_name="Pare-feu (fictif) - compte machine TAXII d'un établissement")
        # one establishment only: its collection, never another one's
        Membership.objects.filter(user=machine).exclude(establishment=establishment).delete()
        Membership.objects.get_or_create(user=machine, establishment=establishment)
        ApiToken.objects.filter(user=machine, name=TOKEN_NAME, revoked_at__isnull=True) \
            .update(revoked_at=timezone.now())
        _token, raw = ApiToken.issue(machine, TOKEN_NAME)
    return {"establishment_account": {
        "username": ESTABLISHMENT_EMAIL, "password": DEMO_PASSWORD, "token": raw,
        "establishment": establishment.name,
        "collection": base + reverse("taxii:collection", args=[str(collection.pk)])}}
