"""Who reads and writes which TAXII collection: the rules of `vigisante.core.access`.

- CERT staff (by API token: the site's staff pass a second factor, tokens are issued after
  it) read every collection, add to and delete from the inbox collections;
- a machine account of an establishment (it has a Membership) reads what the establishment
  receives: the collection for everyone, the one for every establishment, the one of
  each category of its establishments, and its establishments' own collections (the
  TLP:AMBER alerts with finer targets delivered to them);
- a machine account without establishment is a partner (a CERT, an agency): it reads the
  collection for everyone and the partners' one, and adds objects to the inbox collections
  that name it among their writers;
- everyone else (reporters, observers, authorities, anonymous): nothing (404).
A status resource is seen by the account that made the request (and by staff).
"""

from __future__ import annotations

from django.db.models import Q

from vigisante.accounts.access import OWN_ONLY, STAFF
from vigisante.accounts.models import Membership, Role
from vigisante.core import access
from vigisante.taxii.models import Audience, Collection, Status

MACHINE = Role.MACHINE


def _machine_reads(user) -> Q:
    memberships = Membership.objects.filter(user_id=user.pk)
    if not memberships.exists():  # a partner
        return Q(audience__in=[Audience.EVERYONE, Audience.PARTNERS])
    from vigisante.establishments.models import Establishment

    categories = Establishment.objects.filter(
        pk__in=memberships.values("establishment_id")).values("category")
    return (Q(audience__in=[Audience.EVERYONE, Audience.ESTABLISHMENTS])
            | Q(audience=Audience.CATEGORY, category__in=categories)
            | Q(audience=Audience.ESTABLISHMENT,
                establishment_id__in=memberships.values("establishment_id")))


def _writer_q(user) -> Q:
    through = Collection.writers.through
    return Q(audience=Audience.INBOX,
             pk__in=through.objects.filter(user_id=user.pk).values("collection_id"))


def _is_partner(user) -> Q:
    if Membership.objects.filter(user_id=user.pk).exists():
        return Q(pk__in=[])
    return Q()


MACHINE_READS = access.where("collections meant for the account", _machine_reads)
INBOX = access.where("inbox collections", lambda user: Q(audience=Audience.INBOX),
                     lambda user, c: c.audience == Audience.INBOX)
WRITER = access.where("inbox collections naming the partner", _writer_q)
PARTNER = access.where("machine accounts without establishment", _is_partner)

COLLECTION_RULES: access.Rules = {
    "read": {STAFF: access.EVERY, MACHINE: MACHINE_READS},
    "write": {STAFF: INBOX, MACHINE: WRITER & PARTNER},
    "delete": {STAFF: INBOX},
}
STATUS_RULES: access.Rules = {
    "view": {STAFF: access.EVERY, MACHINE: OWN_ONLY},
}


def register() -> None:
    access.register(Collection, COLLECTION_RULES, app="taxii")
    access.register(Status, STATUS_RULES, app="taxii")


def may_use_taxii(user) -> bool:
    """The role reads or writes some collection (discovery and the API root)."""
    return (access.allowed(user, "read", Collection)
            or access.allowed(user, "write", Collection))
