"""Walk EVERY URL pattern of the project, with EVERY HTTP method, as every role, and prove that
none of them leaks or changes what the caller may not touch.

Establishment A files a report (with an update, an attachment, a triage case with a note and a
message); a VERIS and an HHS record are imported. Then every route the URL resolver knows
(including routes other apps add later) is requested with its path parameters filled with A's
ids, with GET, HEAD, OPTIONS, POST, PUT, PATCH and DELETE (the writes carry a body that would
change A's report, its case, A's token... if accepted), as:

- outsiders: a reporter of establishment B, an observer, an anonymous visitor, the authority
  (ARS) of B's region (API routes also with B's, the observer's and that ARS's tokens, and an
  anonymous API client);
- the authority (ARS) of A's region: it sees A's need-to-know summary (reference,
  establishment) and nothing else of A (texts, files, notes, messages, contacts); both ARSs
  walk the other region's report: neither sees it (both directions of the two regions);
- CERT staff (analyst, admin; session and token) and reporter A, against the imported VERIS and
  HHS records: imported records are read-only for everyone and are not reports;
- CERT staff and reporter A against A's own report: every method answers without a 500.

It fails when an answer is a 500 (or raises), when a 200/201 answer (or a header) contains data
the caller may not see (A's reference, texts, establishment name, file content; the imported
records' texts), when any of that data changed after the caller's requests, or when an
anonymous visitor gets a 200 from a page that is not in the small allow-list of public pages.
It also checks that reporter A does see A's data, and proves with leaky routes that it fails.
"""

from __future__ import annotations

import base64
import html
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from authorities_world import make_authority
from conftest import PASSWORD, api_client_for, login, make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from vigisante.accounts.models import ApiToken, Role
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
    # published observatory snapshots are open to anyone (issue 12): frozen, suppressed figures
    "observatory:published_index",
    "observatory:published",
    "observatory:published_version",
    "observatory:published_file",
    "observatory-api:published_list",
    "observatory-api:published",
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
        """Routes of programs (the API, TAXII, the feeds): every method, tokens too."""
        return self.template.startswith(("/api/", "/taxii2/", "/feeds/"))


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


METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
SAFE = ("GET", "HEAD", "OPTIONS")
# Pages are function views: HEAD runs the GET code, and OPTIONS, PUT and DELETE take the same
# path as PATCH (no form data, refused by require_http_methods): these three cover them.
# API views dispatch on each method: all seven. Django's admin has one gate: GET.
PAGE_METHODS = ("GET", "POST", "PATCH")


def methods_for(route: Route, methods: tuple[str, ...]) -> tuple[str, ...]:
    if route.template.startswith("/admin/"):
        return tuple(m for m in methods if m == "GET") or methods[:1]
    if route.is_api:
        return methods
    return tuple(m for m in methods if m in PAGE_METHODS) or methods[:1]
CHANGED = "Wr1te attempt by someone who may not"  # echoes of it are no leak: not MARK
IMPORTED_MARK = "Qx9Imported"

#: The body of every write: each field some route would change if it accepted the request.
PAYLOAD = {
    "perimeter": CHANGED, "root_cause": CHANGED, "measures_taken": CHANGED, "text": CHANGED,
    "description": CHANGED, "comment": CHANGED, "notes": CHANGED, "name": CHANGED,
    "operations_impact": "stopped", "complete": False, "action": "draft",
    "to_state": "acknowledged", "origin": "malicious", "kind": "ransomware",
    "severity": "major", "type": "remote_advice", "started_at": "2024-01-02T10:00:00+01:00",
    "out_of_hours": "auto", "email": "intruder@example.org", "password": "x",
    "reason": CHANGED, "to": "ars:IDF",
}
B_DESCRIPTION = "Yk4Other B's own incident"
#: A's secrets an authority of A's region must never see (its summary shows the rest)
A_SECRETS = [A_DESCRIPTION, A_UPDATE, A_FILE, A_FILE_CONTENT.strip(), A_NOTE, A_MESSAGE,
             "reporter.a@example.org", "+33 6 12 34 56 78"]


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
                                "description": B_DESCRIPTION})
    # the two regions' health agencies (A: Île-de-France, B: Auvergne-Rhône-Alpes), each
    # sent the transmissions of its own region's report
    from vigisante.authorities import services as authorities

    ars_a = make_authority("ars.a@example.org", "ars", est_a.region)
    ars_b = make_authority("ars.b@example.org", "ars", est_b.region)
    assert est_a.region != est_b.region
    authorities.deliver()
    token_a, _raw = ApiToken.issue(reporter_a, f"{MARK} token of A")
    ids: dict[str, int] = {
        "report": report.pk, "update": update.pk, "attachment": attachment.pk,
        "establishment": est_a.pk, "user": reporter_a.pk, "token": token_a.pk,
    }
    ids.update(_triage_objects(report, analyst))
    needles = [report.reference, A_DESCRIPTION, A_ESTABLISHMENT_NAME, A_UPDATE, A_FILE,
               A_FILE_CONTENT.strip(), A_NOTE, A_MESSAGE, MARK]
    return {"report": report, "report_b": report_b, "ids": ids, "needles": needles,
            "reporter_a": reporter_a, "reporter_b": reporter_b, "observer": observer,
            "analyst": analyst, "imported": _imported_records(est_a), "ars_a": ars_a,
            "ars_b": ars_b}


def _imported_records(est_a) -> list:
    """A VERIS record (no establishment) and an HHS one (pointing at A, as a worst case),
    stored as the importers store them: Report rows of another source."""
    from django.utils import timezone

    from vigisante.reports.models import Report

    now = timezone.now()
    return [Report.objects.create(
        reference=f"{source.upper()}-{IMPORTED_MARK}", source=source, source_id=f"{source}-1",
        channel="import", establishment=establishment, created_at=now, discovered_at=now,
        description=f"{IMPORTED_MARK} {source} breach of a hospital", perimeter="as imported",
        original={"summary": f"{IMPORTED_MARK} original"})
        for source, establishment in (("veris", None), ("hhs", est_a))]


def fingerprint(report_ids: list[int], token_id: int | None = None,
                user_id: int | None = None) -> dict:
    """Everything the walk must find unchanged: the reports and all that hangs off them, a
    token and a user."""
    from vigisante.accounts.models import ApiToken, User
    from vigisante.reports.models import Attachment, Report, ReportUpdate
    from vigisante.triage.models import Case, Message, Note, Qualification, Support, Transition

    cases = Case.objects.filter(report_id__in=report_ids)
    out = {
        "reports": list(Report.objects.filter(pk__in=report_ids).order_by("pk").values()),
        "updates": list(ReportUpdate.objects.filter(report_id__in=report_ids).values()),
        "attachments": list(Attachment.objects.filter(report_id__in=report_ids).values()),
        "cases": list(cases.order_by("pk").values()),
    }
    for model in (Note, Message, Support, Qualification, Transition):
        out[model.__name__] = list(model.objects.filter(case__in=cases).values())
    if token_id is not None:
        out["token"] = list(ApiToken.objects.filter(pk=token_id).values())
    if user_id is not None:
        out["user"] = list(User.objects.filter(pk=user_id).values())
    return out


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


def _request(client, method: str, url: str, api: bool):
    if method in SAFE:
        return getattr(client, method.lower())(url)
    if api:
        return client.generic(method, url, json.dumps(PAYLOAD), "application/json")
    return client.generic(method, url, urlencode(PAYLOAD, doseq=True),
                          "application/x-www-form-urlencoded")


def _session(user):
    def make():
        c = Client()
        login(c, user)
        return c
    return make


def _with_token(user):
    def make():
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user, 'walk')[1]}")
        return c
    return make


def _basic(user):
    """A client sending a machine account's HTTP Basic credentials with every request."""
    def make():
        raw = base64.b64encode(f"{user.email}:{PASSWORD}".encode()).decode()
        return Client(HTTP_AUTHORIZATION=f"Basic {raw}")
    return make


def _actors(world, api: bool):
    """(label, make_client, is_api_client) for every outsider."""
    actors = [("reporter B (session)", _session(world["reporter_b"]), False),
              ("observer (session)", _session(world["observer"]), False),
              ("authority of B's region (session)", _session(world["ars_b"]), False),
              ("anonymous", Client, False)]
    if "machine_b" in world:  # machine accounts: HTTP Basic everywhere (TAXII, feeds)
        actors.append(("machine of B (basic)", _basic(world["machine_b"]), False))
    if api:  # the observer's token takes the same path as B's; anonymous is anonymous
        actors.append(("reporter B (token)", _with_token(world["reporter_b"]), True))
        actors.append(("authority of B's region (token)", _with_token(world["ars_b"]), True))
        if "machine_b" in world:
            actors.append(("machine of B (token)", _with_token(world["machine_b"]), True))
    return actors


def _authority_of(key: str, name: str):
    """The authority (ARS) `key` of the world, by session and (API routes) by token."""

    def actors(world, api: bool):
        out = [(f"{name} (session)", _session(world[key]), False)]
        if api:
            out.append((f"{name} (token)", _with_token(world[key]), True))
        return out

    return actors


def _insiders(world, api: bool):
    """CERT staff and reporter A, the roles that do see A's data: the admin and reporter A by
    session, the analyst by token on API routes (tokens and sessions share the policy)."""
    actors = [("admin (session)", _session(world["admin"]), False),
              ("reporter A (session)", _session(world["reporter_a"]), False)]
    if api:
        actors.append(("analyst (token)", _with_token(world["analyst"]), True))
    return actors


def _staff_and(*others: str):
    """Actors for the imported records: the analyst by session, the admin by token on API
    routes, and the given others ("reporter A")."""

    def actors(world, api: bool):
        out = [("analyst (session)", _session(world["analyst"]), False)]
        if "reporter A" in others:
            out.append(("reporter A (session)", _session(world["reporter_a"]), False))
        if "authority of A's region" in others:
            out.append(("authority of A's region (session)", _session(world["ars_a"]), False))
        if api:
            out.append(("admin (token)", _with_token(world["admin"]), True))
        return out

    return actors


def _logged_out(client, label: str, api_client: bool) -> bool:
    """A session client whose session lost its user (a logout route): log in again."""
    if api_client or label.startswith("anonymous"):
        return False
    return "_auth_user_id" not in client.session


def walk(world, routes: list[Route], *, actors=_actors, ids: dict | None = None,
         needles: list[str] | None = None, watch: dict | None = None,
         methods: tuple[str, ...] = METHODS) -> tuple[int, list[str]]:
    """Request every route with every method as every actor; return (requests, failures).

    `ids` fill the path parameters (default: A's objects); `needles` must not show in any
    200/201 answer (None: do not look); `watch` (arguments of `fingerprint`) must not change.
    """
    ids = ids or world["ids"]
    needles = world["needles"] if needles is None else needles
    before = fingerprint(**watch) if watch else None
    failures: list[str] = []
    visited = 0
    clients: dict[str, object] = {}
    target = ids["report"]
    reference = world["report"].reference
    for route in routes:
        filled = [fill(route.template, ids, reference)]
        if route.template.count("<") >= 2 and target == world["report"].pk:
            # B's own report with A's sub-objects (an attachment, an update...): no IDOR.
            filled.append(fill(route.template, ids, reference,
                               first_report=world["report_b"].pk))
        route_methods = methods_for(route, methods)
        for url, texts in filled:
            for label, make, api_client in actors(world, route.is_api):
                sent = []
                for method in route_methods:
                    visited += 1
                    client = clients.get(label) or clients.setdefault(label, make())
                    where = f"{label} {method} {url} [{route.name or 'unnamed'}]"
                    try:
                        response = _request(client, method, url, api_client)
                    except Exception as exc:  # noqa: BLE001 - every failure is reported at once
                        failures.append(f"{label} {url} [{route.name}]: {method} raised {exc!r}")
                        clients.pop(label)
                        continue
                    sent.append(method)
                    if method not in SAFE and _logged_out(client, label, api_client):
                        clients.pop(label)  # start afresh
                    if response.status_code >= 500 and not (
                            response.status_code == 503 and route.name in STATUS_ROUTES):
                        failures.append(f"{where}: {response.status_code}")
                    if needles:
                        leaked = _leaks(response, needles, url, tuple(texts))
                        if leaked:
                            failures.append(f"{where}: {response.status_code} shows {leaked}")
                    if label.startswith("anonymous") and response.status_code == 200 \
                            and route.name not in PUBLIC_ROUTES:
                        failures.append(f"{where}: 200 to an anonymous visitor; log in first, "
                                        "or add the route to PUBLIC_ROUTES if it is meant to "
                                        "be public")
                if before is not None:
                    after = fingerprint(**watch)
                    if after != before:
                        changed = sorted(k for k in before if before[k] != after[k])
                        failures.append(f"{label} {'/'.join(sent)} {url} "
                                        f"[{route.name or 'unnamed'}]: changed {changed}")
                        before = after
    return visited, failures


@pytest.fixture
def tokens(world, admin_user, est_b):
    world["admin"] = admin_user
    world["machine_b"] = make_user("machine.b@example.org", Role.MACHINE, [est_b])
    return world


def _outsider_watch(world) -> dict:
    return {"report_ids": [world["report"].pk] + [r.pk for r in world["imported"]],
            "token_id": world["ids"]["token"], "user_id": world["reporter_a"].pk}


def _routes(admin: bool = True) -> list[Route]:
    return [r for r in iter_routes() if admin or not r.template.startswith("/admin/")]


def _report_routes() -> list[Route]:
    """The routes naming a report in their path (outside the admin)."""
    out = []
    for route in _routes(admin=False):
        for m in _PARAM.finditer(route.template):
            before = route.template[:m.start()].rstrip("/").rsplit("/", 1)[-1]
            if _object_for(m.group("name"), before) == "report":
                out.append(route)
                break
    return out


def test_every_route_and_method_as_outsiders(tokens):
    world = tokens
    routes = _routes()
    names = {r.name for r in routes}
    for expected in ("reports-api:report-detail", "reports-api:attachment-download",
                     "reports-api:report-notification", "reports:detail", "api-ping",
                     "triage-api:qualify"):
        assert expected in names, f"the walk does not see {expected}"
    visited, failures = walk(world, routes, watch=_outsider_watch(world))
    assert visited > 1000
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("source", ["veris", "hhs"])
def test_imported_records_are_read_only_for_every_role(tokens, source):
    """Staff and reporter A (the HHS record points at A's establishment) neither see nor change
    an imported record through any route and method (its id in every parameter); outsiders
    were walked above with the imported records watched."""
    world = tokens
    record = next(r for r in world["imported"] if r.source == source)
    ids = {**world["ids"], "report": record.pk}
    # The HHS record points at A's establishment: reporter A must not reach it either.
    actors = (_staff_and("reporter A", "authority of A's region") if source == "hhs"
              else _staff_and())
    routes = _report_routes()
    assert {"reports-api:report-notification", "reports:notification", "triage-api:qualify",
            "reports-api:attachment-download"} <= {r.name for r in routes}
    visited, failures = walk(world, routes, actors=actors, ids=ids,
                             needles=[IMPORTED_MARK], watch={"report_ids": [record.pk]})
    lists = [r for r in _routes(admin=False) if "<" not in r.template]
    more_visited, more = walk(world, lists, actors=actors, ids=ids, needles=[IMPORTED_MARK],
                              methods=("GET",))
    visited, failures = visited + more_visited, failures + more
    assert visited > 200
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("source", ["veris", "hhs"])
@pytest.mark.parametrize("who", ["analyst", "admin_user"])
def test_staff_cannot_edit_imported_records_through_reporter_endpoints(
        tokens, request, source, who):
    """The hole of the code review: PATCH /api/v1/reports/<veris id>/notification/ answered
    200 to an analyst and changed the record."""
    record = next(r for r in tokens["imported"] if r.source == source)
    user = request.getfixturevalue(who)
    before = fingerprint([record.pk])
    api = api_client_for(user)
    for name, method in (("report-notification", "patch"), ("report-final", "patch"),
                         ("report-updates", "post"), ("report-detail", "get"),
                         ("report-updates", "get"), ("report-attachments", "get")):
        url = reverse(f"reports-api:{name}", args=[record.pk])
        response = getattr(api, method)(url, {"perimeter": CHANGED, "root_cause": CHANGED,
                                              "text": CHANGED}, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    listing = api.get(reverse("reports-api:report-list")).json()
    assert record.reference not in [r["reference"] for r in listing["results"]]
    web = Client()
    login(web, user)
    for name in ("reports:notification", "reports:final", "reports:add_update",
                 "reports:detail"):
        url = reverse(name, args=[record.pk])
        assert web.post(url, {"perimeter": CHANGED, "text": CHANGED}).status_code == 404, url
    assert fingerprint([record.pk]) == before


def test_every_route_and_method_as_staff_and_owner_answers(tokens):
    """Analyst, admin and reporter A on A's own report: every method of every route answers
    (what they may do is done; nothing raises or answers 500)."""
    world = tokens
    visited, failures = walk(world, _report_routes(), actors=_insiders, needles=[])
    assert visited > 200
    assert not failures, "\n".join(failures)


def test_the_authority_of_a_region_sees_its_summaries_and_nothing_more(tokens):
    """The ARS of A's region, on every route with every method: A's summary (reference,
    establishment) is allowed, A's texts, files, notes, messages and contacts never, and
    nothing of A changes."""
    world = tokens
    visited, failures = walk(world, _routes(), actors=_authority_of("ars_a", "ARS of A"),
                             needles=A_SECRETS, watch=_outsider_watch(world))
    assert visited > 500
    assert not failures, "\n".join(failures)
    # not blind: the summary does show A's reference and establishment to it
    c = Client()
    login(c, world["ars_a"])
    page = c.get(reverse("authorities:report", args=[world["report"].pk]))
    assert page.status_code == 200
    assert _leaks(page, [world["report"].reference, A_ESTABLISHMENT_NAME])
    api = api_client_for(world["ars_a"]).get("/api/v1/transmissions/")
    assert _leaks(api, [world["report"].reference])


def test_each_region_s_authority_never_sees_the_other_region(tokens):
    """Both directions: the ARS of A's region walks every route aimed at B's report, as the
    ARS of B's region walked A's with the outsiders."""
    world = tokens
    report_b = world["report_b"]
    ids = {**world["ids"], "report": report_b.pk, "establishment": report_b.establishment_id,
           "user": world["reporter_b"].pk}
    needles = [report_b.reference, B_DESCRIPTION]
    visited, failures = walk(world, _report_routes() + [
        r for r in _routes(admin=False) if "<" not in r.template],
        actors=_authority_of("ars_a", "ARS of A"), ids=ids, needles=needles,
        watch={"report_ids": [report_b.pk]})
    assert visited > 200
    assert not failures, "\n".join(failures)
    # not blind: B's own ARS does see B's summary
    c = Client()
    login(c, world["ars_b"])
    assert _leaks(c.get(reverse("authorities:report", args=[report_b.pk])), needles[:1])


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
    """Self-test: routes that leak (to anyone logged in, to anyone at all, by an error) or that
    let an outsider change A's report with a method other than GET/POST fail."""
    from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

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

    @csrf_exempt
    def patch_only(request, pk):  # forgot the check, and only PATCH changes anything
        if request.method != "PATCH":
            return HttpResponseNotAllowed(["PATCH"])
        Report.objects.filter(pk=pk).update(perimeter="changed")
        return HttpResponse(status=204)

    def staff_sees_imported(request, pk):  # what `visible_to` did for staff
        return HttpResponse(Report.objects.get(pk=pk).description)

    urlconf = type("LeakyUrls", (), {"urlpatterns": [
        path("leak/<int:pk>/", leaky_page, name="leak-page"),
        path("api/leak/<int:report_id>/", leaky_api, name="leak-api"),
        path("leak/ref/<str:reference>/", by_reference, name="leak-reference"),
        path("crash/<int:pk>/", crash, name="crash"),
        path("patch/<int:pk>/", patch_only, name="patch-only"),
        path("imported/<int:pk>/", staff_sees_imported, name="imported"),
    ]})
    settings.ROOT_URLCONF = urlconf
    routes = list(iter_routes(urlconf.urlpatterns))
    assert fill(routes[0].template, tokens["ids"], "x")[0] == f"/leak/{tokens['report'].pk}/"
    _visited, failures = walk(tokens, routes[:4], watch=_outsider_watch(tokens))
    _visited, more = walk(tokens, routes[4:5], watch=_outsider_watch(tokens),
                          methods=("GET", "PATCH"))
    failures += more
    record = tokens["imported"][0]
    _visited, more = walk(tokens, routes[5:], actors=_staff_and(),
                          ids={**tokens["ids"], "report": record.pk}, needles=[IMPORTED_MARK],
                          methods=("GET",))
    failures += more
    text = "\n".join(failures)
    for label in ("reporter B (session)", "observer (session)", "anonymous"):
        assert f"{label} GET /leak/{tokens['report'].pk}/ [leak-page]" in text
        ref = tokens["report"].reference
        assert f"{label} GET /leak/ref/{ref}/ [leak-reference]: 200 shows" in text
    for label in ("reporter B (token)", "anonymous"):
        assert f"{label} GET /api/leak/{tokens['report'].pk}/ [leak-api]: 200 shows" in text
    assert "200 to an anonymous visitor" in text
    assert "[crash]: GET raised RuntimeError" in text
    pk = tokens["report"].pk
    assert f"reporter B (session) GET/PATCH /patch/{pk}/ [patch-only]: changed ['reports']" \
        in text
    assert f"analyst (session) GET /imported/{record.pk}/ [imported]: 200 shows " \
        f"['{IMPORTED_MARK}']" in text


MACHINE_PREFIXES = ("/taxii2/", "/feeds/", "/alerts/misp/feed/")


def test_machine_accounts_reach_taxii_and_feeds_only(tokens, est_a):
    """A machine account (of an establishment, and a partner), by HTTP Basic and by token,
    gets nothing but an authentication refusal, a redirection to the login page or a 404
    from every route outside TAXII and the feeds, with every method; and nothing of A's."""
    world = tokens
    partner = make_user("machine.partner@example.org", Role.MACHINE)
    machine_a = make_user("machine.a@example.org", Role.MACHINE, [est_a])
    routes = [r for r in _routes() if not r.template.startswith(MACHINE_PREFIXES)]
    failures: list[str] = []
    visited = 0
    for user in (world["machine_b"], partner, machine_a):
        for label, make in (("basic", _basic(user)), ("token", _with_token(user))):
            client = make()
            for route in routes:
                url, _texts = fill(route.template, world["ids"], world["report"].reference)
                for method in methods_for(route, METHODS):
                    visited += 1
                    response = _request(client, method, url, route.is_api)
                    if response.status_code < 300 or response.status_code >= 500:
                        failures.append(f"{user.email} ({label}) {method} {url}: "
                                        f"{response.status_code}")
                    elif response.status_code in (301, 302) and "/accounts/login/" not in \
                            response.get("Location", "") and not route.template.startswith(
                                "/admin/"):
                        failures.append(f"{user.email} ({label}) {method} {url}: redirected "
                                        f"to {response['Location']}")
    assert visited > 500
    public = [f for f in failures if not any(
        f"/{p}" in f for p in ("accounts/login/", "accounts/password-reset", "i18n/",
                                "healthz", "observatory/published", "api/schema/",
                                "api/v1/observatory/published", "admin/login", "admin/logout",
                                "accounts/invitation", "api/docs/"))]
    assert not public, "\n".join(public)


def test_observatory_staff_routes_refuse_every_other_role(tokens):
    """The observatory's rules (observatory/access.py, in the one policy): free periods,
    working copies, drafts and publication are CERT staff's. Observers and reporters get no
    200 from those routes, whatever the method (observers are sent to the published pages, and
    the figures API gives them the published version only); staff do get them."""
    from django.utils import timezone

    from vigisante.observatory.models import Snapshot

    world = tokens
    now = timezone.now()
    draft = Snapshot.objects.create(purpose="publication", first_day=now.date(),
                                    last_day=now.date(), year=now.year - 1, version=1,
                                    public=True, state="done", requested_at=now)
    routes = [r for r in _routes(admin=False)
              if r.name.startswith(("observatory:", "observatory-api:"))
              and r.name not in PUBLIC_ROUTES]
    assert {"observatory:index", "observatory:recompute", "observatory:snapshot_file",
            "observatory:publications", "observatory:publication",
            "observatory-api:figures"} <= {r.name for r in routes}
    ids = {**world["ids"], "report": draft.pk}
    actors = [*_actors(world, True), ("observer (token)", _with_token(world["observer"]), True)]
    failures, visited = [], 0
    for route in routes:
        url, _texts = fill(route.template, ids, "figures.json")
        for label, make, api_client in actors:
            if api_client != route.is_api and not label.startswith("anonymous"):
                continue
            client = make()
            for method in methods_for(route, METHODS):
                visited += 1
                response = _request(client, method, url, route.is_api)
                published_only = (route.name == "observatory-api:figures"
                                  and label.startswith("observer") and method in SAFE)
                # DRF's OPTIONS describes the route (no data) to any signed-in caller
                published_only = published_only or (route.is_api and method == "OPTIONS")
                if response.status_code >= 500 or (
                        response.status_code == 200 and not published_only):
                    failures.append(f"{label} {method} {url} [{route.name}]: "
                                    f"{response.status_code}")
    assert visited > 50
    assert not failures, "\n".join(failures)
    staff = Client()
    login(staff, world["admin"])
    for name, args in (("observatory:publications", []), ("observatory:publication",
                                                          [draft.pk])):
        assert staff.get(reverse(name, args=args)).status_code == 200, name
    assert Snapshot.objects.get(pk=draft.pk).published_at is None
