"""Run by tests/test_authorities_workers.py in a subprocess, with the same database as the
workers it starts: `setup N` files N reports through the real services (their transmissions
and delivery tasks are queued, each task twice); `check` prints what was sent, as JSON."""

from __future__ import annotations

import json
import sys

import django


def setup(count: int) -> None:
    from django.utils import timezone

    from vigisante.accounts.models import Membership, Role, User
    from vigisante.authorities.models import AuthorityAccount
    from vigisante.authorities.tasks import deliver_report
    from vigisante.establishments.models import Establishment
    from vigisante.reports import services

    est = Establishment.objects.create(
        finess="750000011", name="CH Worker test (synthetic)", category="ch", sector="health",
        legal_status="public", region="IDF", departement="75")
    reporter = User.objects.create_user(email="reporter@example.org", password="x" * 16)
    Membership.objects.create(user=reporter, establishment=est)
    for email, authority, region in (("ars@example.org", "ars", "IDF"),
                                     ("hfds@example.org", "hfds", ""),
                                     ("dgs@example.org", "dgs", "")):
        user = User.objects.create_user(email=email, password="x" * 16, role=Role.AUTHORITY)
        AuthorityAccount.objects.create(user=user, authority=authority, region=region)
    for _ in range(count):
        report = services.create_early_warning(actor=reporter, data={
            "establishment": est, "description": "Worker test", "ongoing": True,
            "discovered_at": timezone.now() - timezone.timedelta(hours=1),
            "suspected_malicious": "yes", "patient_care_affected": "yes"})
        deliver_report.enqueue(report.pk)  # a duplicate: both workers may take one each


def check() -> None:
    from collections import Counter

    from vigisante.authorities.models import Transmission
    from vigisante.core.models import AuditEvent

    sent = Counter(e.after["transmission"]
                   for e in AuditEvent.objects.filter(action="transmission.sent"))
    print(json.dumps({
        "transmissions": Transmission.objects.count(),
        "states": sorted(set(Transmission.objects.values_list("state", flat=True))),
        "audited": len(sent), "audited_twice": sum(1 for n in sent.values() if n > 1),
        "emails": sorted(set(Transmission.objects.values_list("emails", flat=True))),
    }))


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    else:
        check()
