"""Walk EVERY URL pattern of the project as outsiders and prove none of them leaks.

Establishment A files a report (with an update, an attachment, a triage case with a note and a
message). Then every route the URL resolver knows (including routes other apps add later) is
requested with its path parameters filled with A's ids, as: a reporter of establishment B, an
observer, and an anonymous visitor; API routes also with B's and the observer's API tokens.
GET first; a route that answers 405 to GET is POSTed with an empty body.

It fails when an answer is a 500 (or raises), when a 200/201 answer (or a header) contains A's
data (reference, texts, establishment name, file content), or when an anonymous visitor gets a
200 from a page that is not in the small allow-list of public pages. It also checks that
reporter A does see A's data, so that it can fail.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import api_client_for, login
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from vigisante.accounts.models import ApiToken
from vigisante.reports import services

pytestmark = pytest.mark.django_db

# Pages an anonymous visitor may legitimately open (URL names, with namespace). Keep it small:
# anything else must send them to the login page, or answer 401/403/404/405.
PUBLIC_ROUTES = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:accept_invitation",  # a bad or expired invitation link explains itself
    "set_language",
    "schema",
    "api-docs",
    "admin:login",
    "admin:logout",
    "healthz",  # for load balancers: states only, no data
}
# Routes whose 503 is an answer, not a failure (no worker beats during the walk).
STATUS_ROUTES = {"healthz"}

MARK = "Zq7Leak"  # in every text of A: any echo of A's data contains it
A_ESTABLISHMENT_NAME = f"Centre hospitalier {MARK} A (synthetic)"
A_DESCRIPTION = f"{MARK} ransomware notes on the imaging servers"
A_UPDATE = f"{MARK} backups of the PACS restored"
A_FILE = f"{MARK}-firewall.log"
A_FILE_CONTENT = f"{MARK} denied tcp 10.0.0.1:445\n"
A_NOTE = f"{MARK} analyst note: same actor as last month"
A_MESSAGE = f"{MARK} message to the establishment"


@dataclass
class Route:
    template: str  # e.g. "/reports/<int:pk>/attachments/<int:attachment_pk>/"
    name: str  # with namespace, "" if unnamed

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")


_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _regex_to_template(regex: str) -> str:
    """Turn a re_path regex into a `<name>` template (first alternative of choices)."""
    regex = regex.lstrip("^").rstrip("$").replace("\\Z", "")

    def group(m: re.Match) -> str:
        body = m.group("body")
        if re.fullmatch(r"[\w|-]+", body):
            return body.split("|")[0]  # a fixed choice, e.g. an admin app label
        return f"<str:{m.group('name')}>"

    template = re.sub(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)", group, regex)
    return template.replace("\\", "").replace("?", "")


def iter_routes(patterns=None, prefix: str = "/", namespace: str = "") -> Iterator[Route]:
    """Every URL pattern of the project, depth first, with its full template and name."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        piece = str(p.pattern)
        if p.pattern.__class__.__name__ == "RegexPattern":
            piece = _regex_to_template(p.pattern._regex)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from iter_routes(p.url_patterns, prefix + piece, ns)
        elif isinstance(p, URLPattern):
            yield Route(prefix + piece, f"{namespace}{p.name}" if p.name else "")


@pytest.fixture
def world(est_a, est_b, reporter_a, reporter_b, analyst, observer, early_warning_data):
    """A's data, everywhere it can be; B has data of its own so its pages are not empty."""
    est_a.name = A_ESTABLISHMENT_NAME
    est_a.save()
    report = services.create_early_warning(
        actor=reporter_a, data={**early_warning_data, "description": A_DESCRIPTION})
    update = services.add_update(actor=reporter_a, report_id=report.pk, text=A_UPDATE)
    attachment = services.add_attachment(
        actor=reporter_a, report_id=report.pk,
        uploaded=SimpleUploadedFile(A_FILE, A_FILE_CONTENT.encode()))
    report_b = services.create_early_warning(
        actor=reporter_b, data={**early_warning_data, "establishment": est_b,
                                "description": "B's own incident"})
    token_a, _raw = ApiToken.issue(reporter_a, f"{MARK} token of A")
    ids: dict[str, int] = {
        "report": report.pk, "update": update.pk, "attachment": attachment.pk,
        "establishment": est_a.pk, "user": reporter_a.pk, "token": token_a.pk,
    }
    ids.update(_triage_objects(report, analyst))
    needles = [report.reference, A_DESCRIPTION, A_ESTABLISHMENT_NAME, A_UPDATE, A_FILE,
               A_FILE_CONTENT.strip(), A_NOTE, A_MESSAGE, MARK]
    return {"report": report, "report_b": report_b, "ids": ids, "needles": needles,
            "reporter_a": reporter_a, "reporter_b": reporter_b, "observer": observer}


def _triage_objects(report, analyst) -> dict[str, int]:
    """The CERT's side of A's report: its case, a note and a message."""
    from django.utils import timezone

    from vigisante.triage.models import Case, Message, Note

    case, _ = Case.objects.get_or_create(report=report)
    note = Note.objects.create(case=case, author=analyst, at=timezone.now(), text=A_NOTE)
    message = Message.objects.create(case=case, author=analyst, from_cert=True,
                                     at=timezone.now(), text=A_MESSAGE)
    return {"case": case.pk, "note": note.pk, "message": message.pk}


# Which of A's objects a path parameter names: by the parameter's name, else by the URL
# segment just before it (".../attachments/<int:x>/"), else A's report.
_BY_WORD = [
    ("attachment", "attachment"), ("aid", "attachment"), ("update", "update"),
    ("note", "note"), ("message", "message"), ("case", "case"), ("establishment",
                                                                     "establishment"),
    ("token", "token"), ("user", "user"), ("report", "report"),
]


def _object_for(name: str, before: str) -> str:
    for word, kind in _BY_WORD:
        if word in name.lower():
            return kind
    for word, kind in _BY_WORD:
        if word in before.lower():
            return kind
    return "report"


def fill(template: str, ids: dict[str, int], reference: str,
         first_report: int | None = None) -> tuple[str, list[str]]:
    """The URL of `template` with every parameter pointing at A's objects, and the text values
    put in it (A's report reference, for string parameters)."""
    out, pos, first, texts = [], 0, True, []
    for m in _PARAM.finditer(template):
        before = template[pos:m.start()]
        out.append(before)
        conv = m.group("conv") or "str"
        kind = _object_for(m.group("name"), before.rstrip("/").rsplit("/", 1)[-1])
        if conv == "uuid":
            value = str(uuid.uuid4())
        elif conv in ("int", "path") or m.group("name") in ("pk", "id") or \
                m.group("name").endswith(("_id", "_pk")):
            number = ids.get(kind, ids["report"])
            if first and first_report is not None and kind == "report":
                number = first_report
            value = str(number)
        else:
            value = reference if conv != "slug" else reference.lower()
            texts.append(value)
        out.append(value)
        pos, first = m.end(), False
    out.append(template[pos:])
    return "".join(out), texts


def _variants(needle: str) -> set[bytes]:
    forms = {needle, html.escape(needle), html.escape(needle, quote=False),
             json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]}
    return {f.encode() for f in forms}


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _leaks(response, needles: list[str], url: str = "", texts: tuple = ()) -> list[str]:
    """A's data found in a 200/201 body or in any header.

    What the request itself carried is not evidence: a page may echo the URL or a text put in
    it (an invalid reset link, a redirect adding a slash), so those are removed first.
    """
    found = []
    headers = "\n".join(f"{k}: {v}" for k, v in response.items()).encode()
    body = _body(response) if response.status_code in (200, 201) else b""
    for echo in sorted({url, *texts} - {""}, key=len, reverse=True):
        headers = headers.replace(echo.encode(), b"")
        body = body.replace(echo.encode(), b"")
    for needle in needles:
        if any(v in body or v in headers for v in _variants(needle)):
            found.append(needle)
    return found


def _request(client, url: str, api: bool):
    response = client.get(url)
    method = "GET"
    if response.status_code == 405:
        method = "POST"
        response = client.post(url, {}, format="json") if api else client.post(url, {})
    return method, response


def _actors(world, api: bool):
    """(label, make_client, is_api_client) for every outsider."""

    def session(user):
        def make():
            c = Client()
            login(c, user)
            return c
        return make

    def with_token(raw):
        def make():
            c = APIClient()
            c.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
            return c
        return make

    actors = [("reporter B (session)", session(world["reporter_b"]), False),
              ("observer (session)", session(world["observer"]), False),
              ("anonymous", Client, False)]
    if api:
        token_b, token_observer = world["tokens"]
        actors += [("reporter B (token)", with_token(token_b), True),
                   ("observer (token)", with_token(token_observer), True),
                   ("anonymous (API client)", APIClient, True)]
    return actors


def walk(world, routes: list[Route]) -> tuple[int, list[str]]:
    """Request every route as every outsider; return (requests made, failures)."""
    failures: list[str] = []
    visited = 0
    clients: dict[str, object] = {}
    for route in routes:
        filled = [fill(route.template, world["ids"], world["report"].reference)]
        if route.template.count("<") >= 2:
            # B's own report with A's sub-objects (an attachment, an update...): no IDOR.
            filled.append(fill(route.template, world["ids"], world["report"].reference,
                               first_report=world["report_b"].pk))
        for url, texts in filled:
            for label, make, api_client in _actors(world, route.is_api):
                visited += 1
                client = clients.get(label) or clients.setdefault(label, make())
                try:
                    method, response = _request(client, url, api_client)
                except Exception as exc:  # noqa: BLE001 - every failure is reported at once
                    failures.append(f"{label} {url} [{route.name}]: raised {exc!r}")
                    clients.pop(label)
                    continue
                if method == "POST":  # it may have logged B out: start afresh
                    clients.pop(label)
                where = f"{label} {method} {url} [{route.name or 'unnamed'}]"
                if response.status_code >= 500 and not (
                        response.status_code == 503 and route.name in STATUS_ROUTES):
                    failures.append(f"{where}: {response.status_code}")
                leaked = _leaks(response, world["needles"], url, tuple(texts))
                if leaked:
                    failures.append(f"{where}: {response.status_code} shows A's data {leaked}")
                if label.startswith("anonymous") and response.status_code == 200 \
                        and route.name not in PUBLIC_ROUTES:
                    failures.append(f"{where}: 200 to an anonymous visitor; log in first, or "
                                    "add the route to PUBLIC_ROUTES if it is meant to be public")
    return visited, failures


@pytest.fixture
def tokens(world):
    world["tokens"] = (ApiToken.issue(world["reporter_b"], "walk")[1],
                       ApiToken.issue(world["observer"], "walk")[1])
    return world


def test_every_route_as_outsiders(tokens):
    world = tokens
    routes = list(iter_routes())
    assert len(routes) > 20
    names = {r.name for r in routes}
    for expected in ("reports-api:report-detail", "reports-api:attachment-download",
                     "reports:detail", "api-ping"):
        assert expected in names, f"the walk does not see {expected}"
    visited, failures = walk(world, routes)
    assert visited > 100
    assert not failures, "\n".join(failures)


def test_reporter_a_does_see_a_data(world):
    """The walk would be blind if A's data never showed: A sees it, on the API and the site."""
    report = world["report"]
    api = api_client_for(world["reporter_a"]).get(
        reverse("reports-api:report-detail", args=[report.pk]))
    assert api.status_code == 200
    assert _leaks(api, [report.reference, A_DESCRIPTION, A_ESTABLISHMENT_NAME, A_UPDATE,
                        A_FILE]) == [report.reference, A_DESCRIPTION, A_ESTABLISHMENT_NAME,
                                     A_UPDATE, A_FILE]
    listing = api_client_for(world["reporter_a"]).get(reverse("reports-api:report-list"))
    assert _leaks(listing, [report.reference])
    download = api_client_for(world["reporter_a"]).get(
        reverse("reports-api:attachment-download", args=[report.pk, world["ids"]["attachment"]]))
    assert _leaks(download, [A_FILE_CONTENT.strip()])
    web = Client()
    login(web, world["reporter_a"])
    page = web.get(reverse("reports:detail", args=[report.pk]))
    assert page.status_code == 200
    assert _leaks(page, [report.reference, A_DESCRIPTION])


def test_the_walk_catches_leaks(tokens, settings):
    """Self-test: routes that leak (to anyone logged in, to anyone at all, by an error) fail."""
    from django.http import HttpResponse, JsonResponse
    from django.urls import path

    from vigisante.reports.models import Report

    def leaky_page(request, pk):  # forgot the tenancy check
        return HttpResponse(Report.objects.get(pk=pk).description)

    def leaky_api(request, report_id):  # ASCII-escaped JSON, no login required
        report = Report.objects.select_related("establishment").get(pk=report_id)
        return JsonResponse({"establishment": report.establishment.name})

    def by_reference(request, reference):
        return HttpResponse(Report.objects.get(reference=reference).description)

    def crash(request, pk):
        raise RuntimeError("boom")

    urlconf = type("LeakyUrls", (), {"urlpatterns": [
        path("leak/<int:pk>/", leaky_page, name="leak-page"),
        path("api/leak/<int:report_id>/", leaky_api, name="leak-api"),
        path("leak/ref/<str:reference>/", by_reference, name="leak-reference"),
        path("crash/<int:pk>/", crash, name="crash"),
    ]})
    settings.ROOT_URLCONF = urlconf
    routes = list(iter_routes(urlconf.urlpatterns))
    assert fill(routes[0].template, tokens["ids"], "x")[0] == f"/leak/{tokens['report'].pk}/"
    _visited, failures = walk(tokens, routes)
    text = "\n".join(failures)
    for label in ("reporter B (session)", "observer (session)", "anonymous"):
        assert f"{label} GET /leak/{tokens['report'].pk}/ [leak-page]" in text
        ref = tokens["report"].reference
        assert f"{label} GET /leak/ref/{ref}/ [leak-reference]: 200 shows A's data" in text
    for label in ("reporter B (token)", "observer (token)", "anonymous (API client)"):
        assert f"{label} GET /api/leak/{tokens['report'].pk}/ [leak-api]: 200 shows" in text
    assert "200 to an anonymous visitor" in text
    assert "[crash]: raised RuntimeError" in text
