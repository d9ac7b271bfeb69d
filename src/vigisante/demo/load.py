"""Write the synthetic demo data into the database, once, and hand out the demo logins.

The seed is one transaction of bulk inserts; its audit event (action "demo.seed") is the
marker that it was loaded, so running the demo again loads nothing twice. Each run gives
every demo account a fresh API token and revokes the token of the previous run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from vigisante.core import audit, bulk
from vigisante.core.models import AuditEvent
from vigisante.demo.data import (
    DEMO_PASSWORD,
    TOKEN_NAME,
    TOTP_DEVICE_NAME,
    AccountSpec,
    DemoData,
)
from vigisante.demo.reports import PARIS, Row

SEED_ACTION = "demo.seed"
BATCH = 500


@cache
def _demo_password_hash() -> str:
    """Hashed once per process (a deliberately slow hash): the demo accounts share it."""
    return make_password(DEMO_PASSWORD)


class DemoRefused(Exception):
    """The database holds real data: the demo never writes into it."""


def is_seeded() -> bool:
    """Whether the demo data was loaded into this database (the marker event exists)."""
    return AuditEvent.objects.filter(action=SEED_ACTION).exists()


def _check_empty() -> None:
    from vigisante.establishments.models import Establishment
    from vigisante.reports.models import Report

    if Establishment.objects.filter(synthetic=False).exists() or Report.objects.exists():
        raise DemoRefused(
            "This database already holds establishments or reports that are not demo data; "
            "the demo loads only into an empty database. Point VIGISANTE_DATA_DIR at a new "
            "folder (and unset VIGISANTE_DATABASE_URL) to try the demo.")


def seed(data: DemoData, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any] | None:
    """Load `data` unless already loaded; return what was loaded (None when skipped)."""
    with transaction.atomic():
        if is_seeded():
            return None
        _check_empty()
        summary = _insert(data, log)
        audit.record(actor=None, action=SEED_ACTION, object_type="demo",
                     object_id=str(data.seed), after=summary)
    return summary


def _insert(data: DemoData, log: Callable[[str], None]) -> dict[str, Any]:
    from vigisante.accounts.models import Membership, User
    from vigisante.establishments.models import Establishment, Supplier

    Supplier.objects.bulk_create([Supplier(name=name) for name, _kind in data.suppliers])
    suppliers = Supplier.objects.in_bulk([n for n, _k in data.suppliers], field_name="name")
    Establishment.objects.bulk_create(
        [Establishment(synthetic=True, **vars(e)) for e in data.establishments],
        batch_size=BATCH)
    by_finess = Establishment.objects.filter(synthetic=True).in_bulk(field_name="finess")
    establishments = [by_finess[e.finess] for e in data.establishments]
    est_pk = [e.pk for e in establishments]
    log(f"{len(est_pk)} establishments")

    usable = _demo_password_hash()
    unusable = make_password(None)  # the other synthetic accounts cannot log in
    User.objects.bulk_create([
        User(email=a.email, full_name=a.full_name, role=a.role,
             password=usable if a.demo else unusable,
             is_staff=a.role == "admin", is_superuser=a.role == "admin")
        for a in data.accounts], batch_size=BATCH)
    user_ids = dict(User.objects.filter(email__in=[a.email for a in data.accounts])
                    .values_list("email", "id"))
    Membership.objects.bulk_create(
        [Membership(user_id=user_ids[a.email], establishment_id=est_pk[i])
         for a in data.accounts for i in a.establishments], batch_size=BATCH)
    reporter_of: dict[int, int] = {}
    for a in data.accounts:
        for i in a.establishments:
            reporter_of.setdefault(i, user_ids[a.email])
    analysts = [user_ids[a.email] for a in data.analysts]
    log(f"{len(user_ids)} accounts")

    reports = _insert_reports(data, establishments, reporter_of, analysts, suppliers)
    report_ids = {r.reference: r.pk for r in reports}
    log(f"{len(report_ids)} reports")
    cases = _insert_cases(data.rows, report_ids, analysts)
    clocks = _insert_clocks(reports, cases)
    log(f"{clocks} regulatory clocks")
    from vigisante.demo import history as demo_history

    # Before the seeds below that act through the services (now): the past comes first.
    history = demo_history.write(data.rows, reports, cases, analysts)
    log(f"{history} audit events of the cases' history")
    from vigisante.indicators import correlation

    # The reports were bulk-inserted: their correlation keys (kind on a system, supplier), which
    # the correlation of every later report looks up, in one statement.
    correlation.refresh_keys(None)
    from vigisante.demo import alerts as demo_alerts

    early_warning = demo_alerts.seed(data, log)
    from vigisante.demo import drafts as demo_drafts

    drafts = demo_drafts.seed(data, log)
    from vigisante.demo import intel as demo_intel

    intel = demo_intel.seed(data, log)
    from vigisante.demo import authorities as demo_authorities

    transmissions = demo_authorities.seed(data, log)
    years = Counter(row.year for row in data.rows)
    return {
        "seed": data.seed, "synthetic": True, "establishments": len(est_pk),
        "suppliers": len(suppliers), "accounts": len(user_ids), "reports": len(report_ids),
        "reports_by_year": {str(y): n for y, n in sorted(years.items())},
        "figures": "observatory-published.json", "early_warning": early_warning,
        "drafts": drafts, "incoming_intel": intel, "transmissions": transmissions,
        "history_events": history,
    }


def _supplier_for(row: Row, data: DemoData, suppliers) -> Any:
    kind = row.report.get("_supplier_kind")
    if not kind:
        return None
    names = [n for n, k in data.suppliers if k == kind] or [data.suppliers[0][0]]
    # an establishment keeps the same supplier of a kind across its incidents
    return suppliers[names[row.establishment % len(names)]]


def _insert_reports(data: DemoData, establishments, reporter_of, analysts, suppliers) -> list:
    from vigisante.reports.models import ReferenceCounter, Report

    reports = []
    for row in data.rows:
        fields = {k: v for k, v in row.report.items() if not k.startswith("_")}
        supplier = _supplier_for(row, data, suppliers)
        author = (analysts[row.case.get("_assigned") or 0] if row.by_staff
                  else reporter_of[row.establishment])
        reports.append(Report(
            establishment=establishments[row.establishment], created_by_id=author,
            supplier=supplier, supplier_name=supplier.name if supplier else "", **fields))
    bulk.insert(Report, reports)
    ids = dict(Report.objects.filter(reference__in=[r.reference for r in data.rows])
               .values_list("reference", "id"))
    for r in reports:
        r.pk = ids[r.reference]
    last: dict[int, int] = {}
    for row in data.rows:
        year = timezone.localtime(row.created_at, PARIS).year
        number = int(row.reference.rsplit("-", 1)[1])
        last[year] = max(last.get(year, 0), number)
    for year, value in last.items():
        # counters continue after the demo's references: new reports get the next number
        counter, _created = ReferenceCounter.objects.get_or_create(year=year)
        if counter.value < value:
            ReferenceCounter.objects.filter(year=year).update(value=value)
    return reports


def _insert_cases(rows: list[Row], report_ids: dict[str, int], analysts: list[int]) -> dict:
    """Cases and their history; returns the cases by report id."""
    from vigisante.triage.models import (
        Case,
        Message,
        Note,
        Qualification,
        Support,
        Transition,
    )

    cases = []
    for row in rows:
        fields = {k: v for k, v in row.case.items() if not k.startswith("_")}
        assigned = row.case.get("_assigned")
        duplicate = row.case.get("_duplicate_of")
        cases.append(dict(
            report_id=report_ids[row.reference],
            assigned_to_id=analysts[assigned] if assigned is not None else None,
            duplicate_of_id=report_ids[duplicate] if duplicate else None, **fields))
    bulk.insert(Case, cases)
    case_ids = dict(Case.objects.filter(report__reference__in=report_ids)
                    .values_list("report_id", "id"))
    quals, transitions, supports, notes, messages = [], [], [], [], []
    for row in rows:
        case_id = case_ids[report_ids[row.reference]]
        c = row.case
        by = analysts[c["_assigned"]] if c.get("_assigned") is not None else analysts[0]
        if c.get("qualified_at"):
            quals.append(dict(
                case_id=case_id, by_id=by, at=c["qualified_at"], origin=c["origin"],
                kind=c["kind"], rsit_class=c["rsit_class"], rsit_type=c["rsit_type"],
                severity=c["severity"], suggested_severity=c["suggested_severity"],
                attack_vector=c["attack_vector"], detection_source=c["detection_source"],
                detection_stage=c["detection_stage"],
                ransomware_extent=c["ransomware_extent"]))
        transitions += [dict(case_id=case_id, from_state=a, to_state=b, by_id=by, at=at)
                        for a, b, at in row.transitions]
        supports += [dict(case_id=case_id, by_id=by, **s) for s in row.supports]
        notes += [dict(case_id=case_id, author_id=by, at=at, text=text)
                  for at, text in row.notes]
        messages += [dict(case_id=case_id, author_id=by if from_cert else None,
                             from_cert=from_cert, at=at, text=text)
                     for at, from_cert, text in row.messages]
    for model, objs in ((Qualification, quals), (Transition, transitions),
                        (Support, supports), (Note, notes), (Message, messages)):
        bulk.insert(model, objs)
    return {c["report_id"]: SimpleNamespace(**c, pk=case_ids[c["report_id"]]) for c in cases}


def _insert_clocks(reports: list, cases: dict) -> int:
    """The regulatory clocks of every report, derived by the clocks app's own rules."""
    from django.apps import apps

    if not apps.is_installed("vigisante.clocks"):
        return 0
    from vigisante.clocks import domain, services
    from vigisante.clocks.models import Clock

    clocks = []
    for report in reports:
        for spec in domain.derive(services.facts_of(report, cases.get(report.pk))):
            clocks.append(dict(report_id=report.pk, regime=spec.regime,
                               **{name: getattr(spec, name) for name in services.SYNCED_FIELDS}))
    bulk.insert(Clock, clocks)
    return len(clocks)


def refresh_accounts(data: DemoData) -> list[dict[str, Any]]:
    """Give each demo account its password, second factor and a fresh API token."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigisante.accounts.models import ApiToken, User

    demo = [a for a in data.accounts if a.demo]
    out = []
    with transaction.atomic():
        users = {u.email: u for u in User.objects.filter(email__in=[a.email for a in demo])}
        password = _demo_password_hash()
        User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
            password=password, is_active=True)
        now = timezone.now()
        for spec in demo:
            user = users[spec.email]
            ApiToken.objects.filter(user=user, name=TOKEN_NAME, revoked_at__isnull=True).update(
                revoked_at=now)
            _token, raw = ApiToken.issue(user, TOKEN_NAME)
            entry = _account_entry(spec, data, raw)
            if spec.scope is not None:
                entry["scope"] = {"authority": spec.scope[0], "region": spec.scope[1]}
            if spec.role in ("analyst", "admin", "authority"):
                device, _created = TOTPDevice.objects.update_or_create(
                    user=user, name=TOTP_DEVICE_NAME,
                    defaults={"key": spec.totp_key.hex(), "confirmed": True})
                entry["totp_secret"] = spec.totp_secret
                entry["totp_uri"] = device.config_url
            out.append(entry)
    return out


def _account_entry(spec: AccountSpec, data: DemoData, token: str) -> dict[str, Any]:
    names = [data.establishments[i].name for i in spec.establishments]
    return {
        "email": spec.email, "password": DEMO_PASSWORD, "role": spec.role,
        "establishment": names[0] if names else None, "establishments": names,
        "token": token,
    }
