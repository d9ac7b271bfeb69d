"""The drafts a report can give, which law each follows, and when each is offered. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from vigisante.clocks.domain import ClockState, Regime

LANGUAGES = ("fr", "en")  # French first: the authorities' language


@dataclass(frozen=True)
class DraftKind:
    kind: str
    title: object
    legal_basis: str  # the text of law the template follows
    recipient: object
    regime: str  # the clock it serves (it is offered while that clock applies)
    how_to_send: object
    closes: str = ""  # the report field that recording it as sent fills (closes the clock)
    # The clock whose deadline a recorded sending meets by itself (the NIS2 stages sent through
    # another channel): the clocks read the earliest sending of these (services.sendings).
    closes_clock: str = ""

    @property
    def closes_a_clock(self) -> bool:
        return bool(self.closes or self.closes_clock)


KINDS: dict[str, DraftKind] = {k.kind: k for k in [
    DraftKind("gdpr_notification", _("Personal-data breach notification"),
              "GDPR (EU 2016/679) art. 33(1), 33(3), 33(4)", _("CNIL"), Regime.GDPR_BREACH,
              _("CNIL's online breach notification service (notifications.cnil.fr)."),
              closes="dpa_notified_on"),
    DraftKind("gdpr_communication", _("Communication to the people affected"),
              "GDPR (EU 2016/679) art. 34(1), 34(2)", _("The people affected"),
              Regime.GDPR_BREACH,
              _("Letter, e-mail or notice to each person; a public notice if individual "
                "messages are not possible (art. 34(3)(c)).")),
    DraftKind("nis2_early_warning", _("NIS2 early warning"),
              "NIS2 (EU 2022/2555) art. 23(4)(a)", _("CERT Santé / ANSSI (CSIRT)"),
              Regime.NIS2_EARLY_WARNING,
              _("Filing this report with the CERT is the early warning; use the draft for "
                "another channel (ANSSI's portal) if you must."),
              closes_clock=Regime.NIS2_EARLY_WARNING),
    DraftKind("nis2_notification", _("NIS2 incident notification"),
              "NIS2 (EU 2022/2555) art. 23(4)(b)", _("CERT Santé / ANSSI (CSIRT)"),
              Regime.NIS2_NOTIFICATION,
              _("Completing the notification stage of this report notifies the CERT; the draft "
                "serves any other channel."), closes_clock=Regime.NIS2_NOTIFICATION),
    DraftKind("nis2_intermediate", _("NIS2 intermediate report (on request)"),
              "NIS2 (EU 2022/2555) art. 23(4)(c)", _("CERT Santé / ANSSI (CSIRT)"),
              Regime.NIS2_NOTIFICATION,
              _("Only when the CSIRT or the authority asks for a status update.")),
    DraftKind("nis2_final", _("NIS2 final report"), "NIS2 (EU 2022/2555) art. 23(4)(d)",
              _("CERT Santé / ANSSI (CSIRT)"), Regime.NIS2_FINAL,
              _("Completing the final report of this report informs the CERT; the draft serves "
                "any other channel."), closes_clock=Regime.NIS2_FINAL),
    DraftKind("complaint", _("Criminal complaint: statement of facts"),
              "Code des assurances art. L. 12-10-1 (loi 2023-22 du 24 janvier 2023); "
              "Code pénal art. 323-1 à 323-3-1, 312-1",
              _("Police or gendarmerie"), Regime.INSURANCE_COMPLAINT,
              _("At a police station or gendarmerie, or by letter to the public prosecutor; "
                "keep the receipt."), closes="complaint_filed_on"),
    DraftKind("insurer_notice", _("Notice to the insurer"),
              "Code des assurances art. L. 12-10-1, L. 113-2 4°", _("The insurer"),
              Regime.INSURANCE_COMPLAINT,
              _("By the means your policy sets (often registered letter or the insurer's "
                "claims portal), with the complaint receipt.")),
]}

#: Clock states in which a draft is offered: the clock runs or has run.
OFFERED_STATES = frozenset({ClockState.DUE, ClockState.DONE_ON_TIME, ClockState.DONE_LATE})


def offered(clock_states: dict[str, str]) -> list[DraftKind]:
    """The drafts to offer, given each regime's clock state (absent = the clock does not run)."""
    return [k for k in KINDS.values() if clock_states.get(k.regime) in OFFERED_STATES]


#: The draft kinds whose sending closes a clock by itself, per regime.
CLOSING_KINDS: dict[str, str] = {k.kind: k.closes_clock for k in KINDS.values()
                                 if k.closes_clock}


def earliest_sendings(sent: Iterable[tuple[str, dt.datetime]]) -> dict[str, dt.datetime]:
    """{regime: earliest sending} from (kind, sent_at) pairs, for the kinds closing a clock."""
    out: dict[str, dt.datetime] = {}
    for kind, at in sent:
        regime = CLOSING_KINDS.get(kind)
        if regime and (regime not in out or at < out[regime]):
            out[regime] = at
    return out


def status(*, clock_state: str | None, drafted: bool, sent: bool, overdue: bool) -> str:
    """What the CERT sees for a draft: sent / late / drafted / to draft."""
    if sent:
        return "sent"
    if overdue or clock_state == ClockState.DONE_LATE:
        return "late"
    return "drafted" if drafted else "to_draft"


STATUS_LABELS = {
    "sent": _("sent"), "late": _("late"), "drafted": _("drafted"), "to_draft": _("not drafted"),
}
