"""Exchanges around a case: internal notes, messages between the CERT and the
establishment, and the support given. Appended, never overwritten: no version check.
Each use case takes the acting user, runs in one transaction and writes an audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import audit
from vigisante.triage import domain
from vigisante.triage.domain import State
from vigisante.triage.models import Case, Message, Note, Support
from vigisante.triage.services import (
    case_of,
    cert_recipients,
    check_text,
    get_case,
    notify_on_commit,
    report_of,
    reporters_of,
)


@transaction.atomic
def add_note(*, actor, report_id: Any, text: str) -> Note:
    """An internal note: never shown to the establishment."""
    case = get_case(actor=actor, report_id=report_id, action="note")
    text = check_text("text", text, required=True)
    note = Note.objects.create(case=case, author=actor, at=timezone.now(), text=text)
    audit.record(actor=actor, action="case.note", obj=case,
                 after={"note_id": note.pk, "text": text})
    return note


@transaction.atomic
def send_message(*, actor, report_id: Any, text: str) -> Message:
    """A message from the CERT to the establishment (which is told by e-mail)."""
    case = get_case(actor=actor, report_id=report_id, action="message")
    text = check_text("text", text, required=True)
    message = Message.objects.create(case=case, author=actor, from_cert=True,
                                     at=timezone.now(), text=text)
    audit.record(actor=actor, action="case.message", obj=case,
                 after={"message_id": message.pk, "from_cert": True, "text": text})
    notify_on_commit("message", reporters_of(case.report),
            {"report": case.report, "case": case, "message": message, "actor": actor})
    return message


def reporter_case(actor, report_id: Any) -> Case:
    """The case of a report the actor may answer the CERT about (its reporters)."""
    return case_of(report_of(actor, report_id, "reply"), for_update=False)


@transaction.atomic
def reply(*, actor, report_id: Any, text: str) -> Message:
    """The establishment answers the CERT (reporters of that establishment only)."""
    case = reporter_case(actor, report_id)
    text = check_text("text", text, required=True)
    message = Message.objects.create(case=case, author=actor, from_cert=False,
                                     at=timezone.now(), text=text)
    audit.record(actor=actor, action="case.reply", obj=case,
                 after={"message_id": message.pk, "from_cert": False, "text": text})
    case = Case.objects.select_related("assigned_to").get(pk=case.pk)
    notify_on_commit("message", cert_recipients(case),
            {"report": message.case.report, "case": case, "message": message, "actor": actor})
    return message


@transaction.atomic
def record_support(
    *, actor, report_id: Any, type: str, started_at: dt.datetime | None,
    ended_at: dt.datetime | None = None, out_of_hours: bool | None = None, notes: str = "",
) -> Support:
    """Record support given; out of hours is derived from the start when not given."""
    case = get_case(actor=actor, report_id=report_id, action="support")
    if case.state in (State.REJECTED, State.DUPLICATE):
        raise ValidationError({"state": [
            _("A case that is “%(state)s” gets no support.") % {"state": State(case.state).label}]})
    notes = notes if isinstance(notes, str) else ""
    type = type if isinstance(type, str) else ""
    errors = domain.support_errors(type=type, started_at=started_at, ended_at=ended_at,
                                   notes=notes, now=timezone.now())
    if errors or started_at is None:  # no start is an error too
        raise ValidationError({k: [v] for k, v in errors.items()})
    if out_of_hours is None:
        out_of_hours = domain.is_out_of_hours(started_at)
    support = Support.objects.create(case=case, type=type, started_at=started_at,
                                     ended_at=ended_at, out_of_hours=out_of_hours, by=actor,
                                     notes=notes)
    audit.record(actor=actor, action="case.support", obj=case,
                 after=audit.snapshot(support, ["id", "type", "started_at", "ended_at",
                                                "out_of_hours", "notes"]))
    return support
