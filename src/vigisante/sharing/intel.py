"""Incoming intelligence: receive a STIX bundle or a MISP event, then an analyst accepts its
indicators into ours or dismisses it.

`ingest_intel` is the one way in: the upload page, the API, TAXII writable collections and the
TAXII client all call it. It reads the payload (size-limited JSON), keeps every object whole,
lists the candidate indicators and stores it all in one transaction, or raises
`ValidationError` with a clear message and stores nothing. The caller has checked that the
sender may send (the access policy): this function trusts `actor` and `source`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.core import access, audit, events
from vigisante.indicators.models import Indicator, Status
from vigisante.sharing.domain import TLP_ORDER
from vigisante.sharing.intake import IntelError, Parsed, read
from vigisante.sharing.models import IncomingIntel, IntelCandidate, IntelStatus

#: The largest payload accepted (bytes of JSON).
MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TLP = "amber"


def decode(payload: Any) -> tuple[Any, int]:
    """`payload` (bytes, str, or already decoded JSON) -> (data, size in bytes); raises
    `IntelError` when it is too big or not JSON."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        raw = bytes(payload)
        if len(raw) > MAX_BYTES:
            raise IntelError(_("Too large: at most %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise IntelError(_("Not UTF-8 text: expected a JSON file.")) from None
    elif isinstance(payload, str):
        text = payload
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            raise IntelError(_("Not JSON.")) from None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise IntelError(_("Too large: at most %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
    try:
        data = json.loads(text)
    except RecursionError:
        raise IntelError(_("Nested too deeply.")) from None
    except ValueError as exc:
        raise IntelError(_("Not valid JSON (line %(line)d, column %(col)d).") % {
            "line": getattr(exc, "lineno", 0), "col": getattr(exc, "colno", 0)}) from None
    # Both databases store JSON as UTF-8 text; PostgreSQL refuses NUL in it.
    try:
        canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
        canonical.encode("utf-8")
    except UnicodeEncodeError:
        raise IntelError(_("Contains invalid Unicode (a lone surrogate).")) from None
    except RecursionError:
        raise IntelError(_("Nested too deeply.")) from None
    if "\\u0000" in canonical:
        raise IntelError(_("Contains a NUL character."))
    return data, size


def _digest(data: Any) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def ingest_intel(*, source: str, fmt: str, payload: Any, actor=None, now=None) -> IncomingIntel:
    """Store one piece of intelligence for review; the same payload from the same source
    twice gives the first one back (`intel.duplicate` is True then). Raises ValidationError
    (nothing stored) when the payload is not the format said, too big, or not JSON."""
    source = " ".join(str(source or "").split())[:200] or "unknown"
    try:
        data, size = decode(payload)
        parsed = read(fmt, data)
    except IntelError as exc:
        raise ValidationError(str(exc), code="invalid") from None
    digest = _digest(data)
    now = now or timezone.now()
    try:
        intel = _store(source, fmt, parsed, digest, size, actor, now)
    except IntegrityError:  # the same payload stored meanwhile by a concurrent request
        intel = None
    if intel is None:
        existing = IncomingIntel.objects.get(source=source, sha256=digest)
        existing.duplicate = True
        return existing
    intel.duplicate = False
    return intel


def _store(source, fmt, parsed, digest, size, actor, now) -> IncomingIntel | None:
    """Store the intelligence and its candidates; None when already there."""
    with transaction.atomic():
        if IncomingIntel.objects.filter(source=source, sha256=digest).exists():
            return None
        intel = IncomingIntel.objects.create(
            source=source, format=fmt, title=parsed.title, external_id=parsed.external_id,
            sha256=digest, tlp=parsed.tlp or DEFAULT_TLP, content=parsed.objects,
            object_count=len(parsed.objects), counts=parsed.counts, warnings=parsed.warnings,
            size=size, received_at=now,
            received_by=actor if getattr(actor, "pk", None) else None)
        IntelCandidate.objects.bulk_create([
            IntelCandidate(intel=intel, type=c.type, value=c.value,
                           tlp=c.tlp or intel.tlp, confidence=c.confidence, ref=c.ref)
            for c in parsed.candidates], batch_size=1000)
        _flag_revocations(intel, parsed, actor)
        audit.record(actor=actor if getattr(actor, "pk", None) else None,
                     action="sharing.intel_received", obj=intel,
                     after={"source": source, "format": fmt, "objects": len(parsed.objects),
                            "candidates": len(parsed.candidates), "sha256": digest})
    return intel


#: How many revoked values a warning names (the audit event lists every indicator).
NAMED = 20


def _flag_revocations(intel: IncomingIntel, parsed: Parsed, actor) -> None:
    """Indicators we accepted from earlier intelligence that this intelligence withdraws (a
    revoked STIX object whose id, or a deleted MISP attribute whose uuid, is the `ref` of an
    accepted candidate): marked for the analysts' review, not withdrawn. An accepted indicator
    is ours (confirmed by an analyst, perhaps seen in our own reports and campaigns): the
    source's revocation is a reason to look again, not a decision. The new intelligence,
    pending in the review queue, carries a warning naming them; audited
    `sharing.intel_revocation`. Deleted MISP attributes that match nothing stay skipped, and
    a warning counts them."""
    wanted = sorted({ref for ref in parsed.revoked if ref})
    earlier: list[IntelCandidate] = []
    for start in range(0, len(wanted), 500):  # no query with more ids than the database takes
        earlier += IntelCandidate.objects.filter(
            decision=IntelStatus.ACCEPTED, indicator__isnull=False,
            ref__in=wanted[start:start + 500]).exclude(intel=intel)
    warnings = []
    if earlier:
        values = sorted({f"{c.type}:{c.value}" for c in earlier})
        named = ", ".join(values[:NAMED]) + (", …" if len(values) > NAMED else "")
        warnings.append(ngettext(
            "%(n)d indicator accepted from earlier intelligence is revoked by this one: "
            "%(values)s. To review: reject it in the indicators if it no longer holds.",
            "%(n)d indicators accepted from earlier intelligence are revoked by this one: "
            "%(values)s. To review: reject them in the indicators if they no longer hold.",
            len(values)) % {"n": len(values), "values": named})
    if parsed.fmt == "misp":
        matched = {c.ref for c in earlier}
        alone = sum(1 for ref in parsed.revoked if ref not in matched)
        if alone:
            warnings.append(ngettext(
                "%(n)d deleted attribute matches no indicator we accepted: skipped.",
                "%(n)d deleted attributes match no indicator we accepted: skipped.",
                alone) % {"n": alone})
    if warnings:
        intel.warnings = [*intel.warnings, *warnings]
        intel.save(update_fields=["warnings"])
    if earlier:
        audit.record(actor=actor if getattr(actor, "pk", None) else None,
                     action="sharing.intel_revocation", obj=intel,
                     after={"refs": sorted({c.ref for c in earlier}),
                            "indicators": sorted({c.indicator_id for c in earlier}),
                            "earlier_intel": sorted({c.intel_id for c in earlier})})


def _stricter(a: str, b: str) -> str:
    return a if TLP_ORDER.index(a) >= TLP_ORDER.index(b) else b


def accept(*, actor, intel: IncomingIntel, candidate_ids=None, now=None) -> int:
    """Accept the chosen candidates (all pending ones when `candidate_ids` is None) into our
    indicators, confirmed by `actor`, and dismiss the rest; audited. An indicator we already
    have is confirmed and keeps the stricter TLP. When what we share changes (an indicator
    created, newly confirmed or made stricter), emits `intel.accepted`: the TAXII publication,
    queued by its handler once this commits, shares them without waiting for its periodic
    run. Returns the number accepted."""
    from vigisante.indicators import campaigns, correlation

    access.require(actor, "review", intel)
    now = now or timezone.now()
    with transaction.atomic():
        intel = IncomingIntel.objects.select_for_update().get(pk=intel.pk)
        if intel.status != IntelStatus.PENDING:
            raise ValidationError(_("This intelligence was already reviewed."))
        pending = intel.candidates.filter(decision=IntelStatus.PENDING)
        chosen = list(pending if candidate_ids is None else pending.filter(
            pk__in=[int(i) for i in candidate_ids if str(i).isdigit()]))
        existing = {(i.type, i.value): i for i in Indicator.objects.select_for_update().filter(
            value__in=[c.value for c in chosen])}
        newly_confirmed = []
        changed: set[int] = set()  # what is shared changes: created, newly confirmed, stricter TLP
        for cand in chosen:
            ind = existing.get((cand.type, cand.value))
            confidence = cand.confidence if cand.confidence is not None else 50
            if ind is None:
                ind = Indicator.objects.create(
                    type=cand.type, value=cand.value, status=Status.CONFIRMED, tlp=cand.tlp,
                    confidence=confidence, first_seen=now, last_seen=now, reviewed_by=actor,
                    reviewed_at=now)
                changed.add(ind.pk)
            elif ind.status != Status.CONFIRMED or _stricter(ind.tlp, cand.tlp) != ind.tlp:
                if ind.status != Status.CONFIRMED:
                    newly_confirmed.append(ind.pk)
                ind.status, ind.tlp = Status.CONFIRMED, _stricter(ind.tlp, cand.tlp)
                ind.reviewed_by, ind.reviewed_at = actor, now
                ind.save(update_fields=["status", "tlp", "reviewed_by", "reviewed_at"])
                changed.add(ind.pk)
            cand.decision, cand.indicator = IntelStatus.ACCEPTED, ind
        IntelCandidate.objects.bulk_update(chosen, ["decision", "indicator"], batch_size=1000)
        intel.candidates.filter(decision=IntelStatus.PENDING).update(
            decision=IntelStatus.DISMISSED)
        intel.status, intel.reviewed_by, intel.reviewed_at = IntelStatus.ACCEPTED, actor, now
        intel.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        audit.record(actor=actor, action="sharing.intel_accepted", obj=intel,
                     after={"accepted": sorted(c.pk for c in chosen),
                            "indicators": sorted(c.indicator_id for c in chosen)})
        if changed:
            events.emit("intel.accepted", intel_id=intel.pk, indicator_ids=sorted(changed))
        if newly_confirmed:
            campaigns.attach_new_links(
                correlation.correlate_indicators(newly_confirmed, now), now)
    return len(chosen)


def dismiss(*, actor, intel: IncomingIntel, now=None) -> IncomingIntel:
    """Dismiss the whole piece of intelligence (nothing enters our indicators); audited."""
    access.require(actor, "review", intel)
    now = now or timezone.now()
    with transaction.atomic():
        intel = IncomingIntel.objects.select_for_update().get(pk=intel.pk)
        if intel.status != IntelStatus.PENDING:
            raise ValidationError(_("This intelligence was already reviewed."))
        intel.candidates.update(decision=IntelStatus.DISMISSED)
        intel.status, intel.reviewed_by, intel.reviewed_at = IntelStatus.DISMISSED, actor, now
        intel.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        audit.record(actor=actor, action="sharing.intel_dismissed", obj=intel)
    return intel
