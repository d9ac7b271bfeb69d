"""Use cases of alerts: write a draft, check it, send it once, e-mail it, record readings.

Every function takes the acting user (`actor=`) and runs in one transaction. Sending is
idempotent: the first call delivers the alert to the targeted establishments and queues its
e-mails; any later call (a double click, a retry) delivers nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import audit, events
from vigisante.establishments.models import Establishment, Supplier
from vigisante.indicators.models import Campaign, Indicator
from vigisante.reports.models import Report
from vigisante.sharing import access, domain
from vigisante.sharing.models import Alert, AlertRead, AlertRecipient
from vigisante.sharing.targeting import targeted

log = logging.getLogger(__name__)

MAX_INDICATORS = 500
CONTENT_FIELDS = ("title", "situation", "actions", "tlp", "malware")
TARGET_FIELDS = ("target_all", "target_categories", "target_sectors", "target_regions",
                 "target_nis2")
#: The TLPs whose content an e-mail may carry; stricter alerts are read in the site.
EMAIL_CONTENT_TLPS = ("clear", "green")


@dataclass
class Draft:
    """What the analyst wrote (the form's or the API's cleaned data)."""

    title: str
    situation: str
    actions: str
    tlp: str
    indicators: list[Indicator] = field(default_factory=list)
    targets: domain.Targets = field(default_factory=domain.Targets)
    campaign: Campaign | None = None
    malware: str = ""  # a malware family name, shared in STIX and MISP


# -- Indicators ---------------------------------------------------------------------------------

def _canonical_forms(value: str) -> set[str]:
    """The forms under which an indicator typed by an analyst may be stored."""
    value = value.strip()
    forms = {value, value.lower()}
    refanged = (value.replace("[.]", ".").replace("(.)", ".").replace("[dot]", ".")
                .replace("[:]", ":").replace("[at]", "@").replace("hxxp", "http"))
    forms |= {refanged, refanged.lower()}
    try:
        from vigisante.indicators.extraction import canonical, guess_type
    except ImportError:  # the extraction engine is not installed yet
        return forms
    type_ = guess_type(refanged)
    if type_:
        normal = canonical(type_, refanged)
        if normal:
            forms.add(normal)
    return forms


def find_indicators(lines: list[str]) -> tuple[list[Indicator], list[str]]:
    """The shareable indicators named by `lines` (one value each), and an error per line
    that names no confirmed, not noisy indicator."""
    values = [v.strip() for v in lines if v.strip()]
    errors: list[str] = []
    if len(values) > MAX_INDICATORS:
        return [], [_("At most %(n)d indicators per alert.") % {"n": MAX_INDICATORS}]
    forms = {v: _canonical_forms(v[:2048]) for v in values}
    known: dict[str, list[Indicator]] = {}
    every = {f for fs in forms.values() for f in fs}
    for indicator in Indicator.objects.filter(value__in=every):
        known.setdefault(indicator.value, []).append(indicator)
    found: dict[int, Indicator] = {}
    for value, candidates in forms.items():
        matches = [i for f in candidates for i in known.get(f, [])]
        shareable = [i for i in matches if i.shareable]
        if shareable:
            for i in shareable:
                found[i.pk] = i
        elif matches:
            errors.append(_("“%(v)s” is not shareable: only confirmed indicators that are "
                            "not flagged as noise go into an alert.") % {"v": value[:100]})
        else:
            errors.append(_("“%(v)s” is not a known indicator. Add it to a report and "
                            "confirm it first.") % {"v": value[:100]})
    return sorted(found.values(), key=lambda i: (i.type, i.value)), errors


def campaign_prefill(campaign: Campaign) -> dict[str, Any]:
    """The initial values of an alert written from a campaign: its confirmed indicators, and
    a TLP at least as strict as theirs."""
    indicators = list(campaign.indicators().order_by("type", "value")[:MAX_INDICATORS])
    tlps = [i.tlp for i in indicators] + ["amber"]
    strictest = max(tlps, key=lambda t: domain.TLP_ORDER.index(t)
                    if t in domain.TLP_ORDER else 0)
    return {"indicators": "\n".join(i.value for i in indicators), "tlp": strictest,
            "campaign": campaign.pk}


# -- Drafts -------------------------------------------------------------------------------------

def _check_draft(draft: Draft) -> None:
    errors: dict[str, list[str]] = {}
    error = domain.targets_error(draft.targets)
    if error:
        errors["targets"] = [error]
    error = domain.tlp_error(draft.tlp, [i.tlp for i in draft.indicators])
    if error:
        errors["tlp"] = [error]
    if errors:
        raise ValidationError(errors)


def _content(alert: Alert) -> dict[str, Any]:
    data = audit.snapshot(alert, [*CONTENT_FIELDS, *TARGET_FIELDS, "campaign"])
    data["indicators"] = sorted(alert.indicators.values_list("pk", flat=True))
    data["target_suppliers"] = sorted(alert.target_suppliers.values_list("pk", flat=True))
    return data


@transaction.atomic
def save_draft(*, actor, draft: Draft, alert: Alert | None = None, now=None) -> Alert:
    """Create a draft alert, or change one not sent yet; audited."""
    access.require_staff(actor)
    now = now or timezone.now()
    _check_draft(draft)
    if alert is not None:
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.is_sent:
            raise ValidationError(_("This alert was sent: it can no longer be changed."))
        before = _content(alert)
    else:
        alert = Alert(created_by=actor, created_at=now)
        before = None
    for name in ("title", "situation", "actions", "tlp", "malware"):
        setattr(alert, name, getattr(draft, name))
    t = draft.targets
    alert.campaign = draft.campaign
    alert.target_all = t.everyone
    alert.target_categories = sorted(t.category)
    alert.target_sectors = sorted(t.sector)
    alert.target_regions = sorted(t.region)
    alert.target_nis2 = sorted(t.nis2_status)
    alert.updated_at = now
    alert.full_clean(exclude=["campaign", "created_by", "sent_by"])
    alert.save()
    alert.indicators.set(draft.indicators)
    alert.target_suppliers.set(Supplier.objects.filter(pk__in=t.suppliers))
    after = _content(alert)
    if before is not None:
        before, after = audit.diff(before, after)
    if after:
        audit.record(actor=actor, action="sharing.alert_draft", obj=alert, before=before,
                     after=after)
    return alert


# -- Checks before sending ----------------------------------------------------------------------

def recipients_of(alert: Alert) -> QuerySet[Establishment]:
    """The establishments the alert's targets designate now (one query)."""
    return targeted(alert.targets())


def linked_reports(alert: Alert) -> QuerySet[Report]:
    """The reports whose establishments the alert must not reveal: those of its campaign and
    those where one of its indicators was seen."""
    condition = Q(sightings__indicator__alerts=alert)
    if alert.campaign_id:
        condition |= Q(campaign_memberships__campaign_id=alert.campaign_id)
    return Report.objects.filter(pk__in=Report.objects.filter(condition).values("pk"))


def guard_for(alert: Alert) -> domain.Guard:
    """The identities of the reporting establishments behind `alert`, and their free texts."""
    return guard_for_reports(linked_reports(alert))


def guard_for_reports(reports_qs: QuerySet[Report]) -> domain.Guard:
    """The identities of the establishments of these reports, and the reports' free texts."""
    from vigisante.accounts.models import User

    reports = list(reports_qs.select_related("establishment", "created_by")
                   .prefetch_related("updates"))
    establishments = {r.establishment_id: r.establishment for r in reports
                      if r.establishment_id is not None and r.establishment}
    members: dict[int, list[User]] = {}
    for user in User.objects.filter(memberships__establishment__in=list(establishments)) \
            .prefetch_related("memberships"):
        for m in user.memberships.all():
            members.setdefault(m.establishment_id, []).append(user)
    guard = domain.Guard()
    for pk, est in establishments.items():
        people = members.get(pk, [])
        mine = [r for r in reports if r.establishment_id == pk]
        authors = [r.created_by for r in mine if r.created_by and not r.created_by.is_cert_staff]
        contacts = {u.pk: u for u in [*people, *authors]}.values()
        guard.identities += domain.identities(
            name=est.name, finess=est.finess, town=est.town,
            references=[r.reference for r in mine],
            emails=[u.email for u in contacts],
            phones=[u.phone for u in contacts] + [r.callback_phone for r in mine],
            people=[u.full_name for u in contacts])
    for report in reports:
        guard.free_texts += [getattr(report, name) for name in (
            "description", "perimeter", "patient_danger_narrative", "measures_taken", "causes",
            "root_cause", "final_impact", "lessons_learned") if getattr(report, name)]
        guard.free_texts += [u.text for u in report.updates.all()]
    return guard


def field_labels() -> dict[str, str]:
    return {"title": _("The title"), "situation": _("“What is happening”"),
            "actions": _("“What to do”"), "indicators": _("An indicator"),
            "malware": _("The malware family")}


def problems(alert: Alert) -> dict[str, list[str]]:
    """Why the alert cannot be sent as it is (field -> messages); empty when it can."""
    errors: dict[str, list[str]] = {}
    indicators = list(alert.indicators.all())
    labels = field_labels()
    guard = guard_for(alert)
    leaks = guard.leaks({"title": alert.title, "situation": alert.situation,
                         "actions": alert.actions, "malware": alert.malware})
    guard.free_texts = []  # an indicator value is not prose
    leaks += [domain.Leak("indicators", leak.kind, leak.value)
              for leak in guard.leaks({str(i.pk): i.value for i in indicators})]
    for leak in leaks:
        errors.setdefault(leak.field, []).append(leak.message(labels[leak.field]))
    stale = [i.value for i in indicators if not i.shareable]
    if stale:
        errors.setdefault("indicators", []).append(
            _("No longer confirmed, or flagged as noise: %(v)s. Remove them.") % {
                "v": ", ".join(stale[:10])})
    error = domain.targets_error(alert.targets())
    if error:
        errors.setdefault("targets", []).append(error)
    elif not recipients_of(alert).exists():
        errors.setdefault("targets", []).append(
            _("No establishment matches these targets."))
    error = domain.tlp_error(alert.tlp, [i.tlp for i in indicators])
    if error:
        errors.setdefault("tlp", []).append(error)
    return errors


# -- Sending ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    alert: Alert
    recipients: int
    already_sent: bool


def send(*, actor, alert: Alert, now=None) -> Sent:
    """Deliver the alert to the establishments its targets designate, once; audited. The
    e-mails go out from the worker after the commit. Raises ValidationError (by field) when
    the alert cannot be sent, e.g. when it names a reporting establishment."""
    from vigisante.core import access as policy
    from vigisante.core.api_views import write_transaction

    policy.require(actor, "send", alert)
    now = now or timezone.now()
    with write_transaction():
        # The conditional update is the claim: of two concurrent sends, one gets the row.
        fresh = Alert.objects.select_for_update().get(pk=alert.pk)
        if fresh.is_sent:
            return Sent(fresh, fresh.recipients.count(), True)
        errors = problems(fresh)
        if errors:
            raise ValidationError(errors)
        claimed = Alert.objects.filter(pk=fresh.pk, sent_at__isnull=True).update(
            sent_at=now, sent_by=actor, updated_at=now)
        if not claimed:
            fresh.refresh_from_db()
            return Sent(fresh, fresh.recipients.count(), True)
        ids = list(recipients_of(fresh).values_list("pk", flat=True))
        AlertRecipient.objects.bulk_create(
            [AlertRecipient(alert=fresh, establishment_id=pk, delivered_at=now) for pk in ids],
            batch_size=500)
        fresh.refresh_from_db()
        audit.record(actor=actor, action="sharing.alert_sent", obj=fresh, after={
            "recipients": len(ids), "targets": _content(fresh), "sent_at": now})
        events.emit("alert.sent", alert_id=fresh.pk)
        transaction.on_commit(lambda: _enqueue_emails(fresh.pk))
    return Sent(fresh, len(ids), False)


def _enqueue_emails(alert_id: int) -> None:
    from vigisante.sharing.tasks import email_alert

    try:
        email_alert.enqueue(alert_id)
    except Exception:  # noqa: BLE001 - the alert is delivered in the site whatever happens
        log.exception("could not queue the e-mails of alert %s", alert_id)


def alert_url(alert: Alert) -> str:
    return settings.SITE_URL + reverse("sharing:detail", args=[alert.pk])


def email_alert(alert_id: int, now=None) -> int:
    """E-mail a sent alert to the reporters of its recipients not e-mailed yet (run by the
    worker). Each recipient is claimed before sending, so a rerun never e-mails it twice;
    when sending fails the claim is released for a later run. Returns the e-mails sent."""
    from vigisante.accounts.models import Role, User
    from vigisante.notifications.services import notify

    now = now or timezone.now()
    alert = Alert.objects.filter(pk=alert_id, sent_at__isnull=False).first()
    if alert is None:
        return 0
    pending = AlertRecipient.objects.filter(alert=alert, emailed_at__isnull=True)
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return 0
    AlertRecipient.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    claimed = AlertRecipient.objects.filter(pk__in=ids, emailed_at=now)
    users = User.objects.filter(
        memberships__establishment__alerts_received__in=claimed, role=Role.REPORTER,
        is_active=True).distinct().order_by("pk")
    context = {"alert": alert, "indicators": list(alert.indicators.all()),
               "full": alert.tlp in EMAIL_CONTENT_TLPS, "url": alert_url(alert)}
    try:
        return notify(event="alert", recipients=list(users), context=context,
                      raise_errors=True)
    except Exception:  # noqa: BLE001 - logged; the next run retries these recipients
        claimed.update(emailed_at=None)
        log.exception("could not e-mail alert %s", alert_id)
        raise


# -- Reading ------------------------------------------------------------------------------------

def mark_read(*, actor, alert: Alert, now=None) -> AlertRead:
    """Record that `actor` (a reporter of a recipient establishment) read the alert; the
    first reading is kept."""
    from vigisante.core import access as policy

    if not access.is_reader(actor):
        raise ValidationError(_("Only the establishments' reporters record a reading."))
    policy.require(actor, "mark_read", alert)
    now = now or timezone.now()
    read, _created = AlertRead.objects.get_or_create(alert=alert, user=actor,
                                                     defaults={"read_at": now})
    return read


@dataclass(frozen=True)
class Receipt:
    establishment: Establishment
    delivered_at: Any
    emailed_at: Any
    reads: list[tuple[Any, Any]]  # (user, read_at)


def receipts(alert: Alert) -> list[Receipt]:
    """Who has read the alert, per recipient establishment (staff only)."""
    from vigisante.accounts.models import Membership

    recipients = list(alert.recipients.select_related("establishment")
                      .order_by("establishment__name", "pk"))
    reads = {r.user_id: r for r in alert.reads.select_related("user")}
    by_est: dict[int, list] = {}
    for m in Membership.objects.filter(
            establishment_id__in=[r.establishment_id for r in recipients],
            user_id__in=list(reads)).order_by("user__email"):
        read = reads[m.user_id]
        by_est.setdefault(m.establishment_id, []).append((read.user, read.read_at))
    return [Receipt(r.establishment, r.delivered_at, r.emailed_at,
                    by_est.get(r.establishment_id, [])) for r in recipients]


# -- Incoming intelligence (the one way in; see intel.py) -----------------------------------------

from vigisante.sharing.intel import ingest_intel  # noqa: E402, F401
