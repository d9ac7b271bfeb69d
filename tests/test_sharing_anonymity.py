"""An alert never carries the identity of a reporting establishment.

A campaign over four establishments, alerts sent from it to every establishment; then every
byte the recipients can get (the alert pages' HTML, the e-mails' subject and body, the API's
JSON) is searched for every identifying value of the reporting establishments: name, FINESS,
town, report references, reporters' e-mail addresses, names and phones, call-back phones,
and the free text of the reports and their updates.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import unicodedata

import pytest
from alerts_world import build, draft, identifying_values
from conftest import api_client_for
from django.core import mail
from django.urls import reverse

from vigisante.sharing import services
from vigisante.sharing.models import Alert

pytestmark = pytest.mark.django_db


def folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", html_lib.unescape(text)).casefold()
    return "".join(c for c in text if not unicodedata.combining(c))


def forms_of(value: str) -> set[str]:
    """The forms a value could take in a page: as is, folded, digits only for numbers."""
    out = {folded(value)}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 8 and len(digits) >= len(value.replace(" ", "")) - 3:
        out.add(digits)
        if digits.startswith("33"):
            out.add("0" + digits[2:])
    return {f for f in out if len(f) >= 4}


def leaks_in(blob: str, values: list[str]) -> list[str]:
    text = folded(blob)
    digits = re.sub(r"(?<=\d)[\s.\-]+(?=\d)", "", text)
    return [v for v in values for f in forms_of(v) if f in text or f in digits]


def everything_a_user_gets(client, api, alerts: list[Alert]) -> dict[str, str]:
    """Every page, API answer and e-mail an account can get about the alerts."""
    out = {"list.html": client.get(reverse("sharing:list")).content.decode(),
           "api list": json.dumps(api.get("/api/v1/alerts/").json(), ensure_ascii=False)}
    for alert in alerts:
        out[f"{alert.pk}.html"] = client.get(reverse("sharing:detail",
                                                     args=[alert.pk])).content.decode()
        out[f"api {alert.pk}"] = api.get(f"/api/v1/alerts/{alert.pk}/").content.decode()
        out[f"api {alert.pk} read"] = api.post(f"/api/v1/alerts/{alert.pk}/read/") \
            .content.decode()
    return out


def test_nothing_a_recipient_gets_identifies_a_reporting_establishment(analyst, client_for):
    world = build(analyst)
    mail.outbox.clear()
    alerts = []
    for tlp in ("green", "amber"):  # green e-mails carry the content, amber ones do not
        alert = services.save_draft(actor=analyst, draft=draft(world, tlp=tlp))
        services.send(actor=analyst, alert=alert)
        services.email_alert(alert.pk)  # what the worker runs after the commit
        alerts.append(alert)
    emails = {m.to[0]: m for m in mail.outbox}
    assert len(emails) == 5 and len(mail.outbox) == 10
    recipients = [*zip(world.reporters, world.victims, strict=True),
                  (world.bystander_reporter, world.bystander)]
    per_victim = {est.pk: identifying_values(_only(world, i))
                  for i, est in enumerate(world.victims)}
    checked = 0
    for user, own in recipients:
        # Identities of the other reporting establishments (an account may see its own).
        secrets = [v for pk, values in per_victim.items() if pk != own.pk for v in values]
        blobs = everything_a_user_gets(client_for(user), api_client_for(user), alerts)
        for m in mail.outbox:
            if m.to == [user.email]:
                blobs[f"e-mail {m.subject}"] = m.subject + "\n" + m.body
        assert sum(1 for k in blobs if k.startswith("e-mail")) == 2
        for where, blob in blobs.items():
            assert "192.0.2.45" in blob or where.startswith("e-mail") or "list" in where
            found = leaks_in(blob, secrets)
            assert not found, f"{user.email} gets {found} in {where}"
            checked += len(blob)
    assert checked > 50_000


def _only(world, i):
    """The world seen as if victim i were the only reporter (its own identifying values)."""
    from types import SimpleNamespace

    return SimpleNamespace(victims=[world.victims[i]], reporters=[world.reporters[i]],
                           reports=[world.reports[i]])


def test_the_search_finds_an_identity_when_there_is_one(analyst):
    """The check above can fail: a page naming a reporter, in any form, is caught."""
    world = build(analyst)
    secrets = identifying_values(world)
    page = "<p>Signalé par le CENTRE HOSPITALIER DE VALBRUNE (SYNTHETIC)</p>"
    assert leaks_in(page, secrets)
    assert leaks_in("FINESS 75 000 001 1", secrets)
    assert leaks_in("Rappeler le 01.40.00.00.01", secrets)
    assert leaks_in(json.dumps({"x": world.reports[1].reference}), secrets)
    assert leaks_in("Montfleury", secrets)
    assert not leaks_in("Vague de fausses factures visant les établissements", secrets)
