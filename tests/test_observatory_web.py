"""The observatory in the site and the API: stored snapshots only, free periods for staff
(computed by the worker, progress on the page), publication by an admin, published versions
open to anyone; who sees what, and bad input."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from conftest import api_client_for, html
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from test_observatory_data import build

from vigisante.core.models import AuditEvent
from vigisante.observatory import services
from vigisante.observatory.models import Snapshot

pytestmark = pytest.mark.django_db

INDEX = reverse("observatory:index")
API = "/api/v1/observatory/"
PUBLIC = reverse("observatory:published_index")


@pytest.fixture
def data():
    return build()


def _publish(admin, year, run_tasks, note=""):
    snap = services.prepare_publication(actor=admin, year=year, note=note, now=timezone.now())
    run_tasks()
    return services.publish(actor=admin, snapshot_id=snap.pk, now=timezone.now())


def test_reporters_get_404_and_anonymous_users_the_login_page(client, client_for, reporter_a):
    response = client.get(INDEX)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client_for(reporter_a).get(INDEX).status_code == 404
    assert client.get(API).status_code in (401, 403)
    assert api_client_for(reporter_a).get(API).status_code == 404
    assert client_for(reporter_a).get(reverse("observatory:publications")).status_code == 404


@pytest.mark.django_db(transaction=True)  # the real worker closes a connection left in a
# transaction (close_old_connections): on PostgreSQL the test must not run inside one
def test_staff_free_period_is_computed_by_the_worker_with_progress(data, client_for, analyst,
                                                                   run_tasks,
                                                                   django_assert_max_num_queries):
    c = client_for(analyst)
    params = {"from": "2023-01-01", "to": "2023-06-30"}
    page = html(c.get(INDEX, params))
    assert page.select_one("progress") and not page.select_one("meta[http-equiv=refresh]")
    assert page.select_one("[role=status] a.button")  # reload when the user chooses
    assert page.select_one("#table-06_kinds") is None  # nothing computed in the request
    api = api_client_for(analyst).get(API, params)
    assert api.status_code == 202 and api.json()["state"] == "queued"
    assert Snapshot.objects.count() == 1  # the page and the API share one job
    run_tasks()
    with django_assert_max_num_queries(16):
        response = c.get(INDEX, params)
    page = html(response)
    assert page.select_one("progress") is None
    assert page.select_one("details.obs-details #table-06_kinds")  # tables folded
    assert page.select_one("#table-02_repeat")  # internal version for staff
    links = {a.get_text(strip=True): a["href"] for a in page.select(".obs-downloads a")}
    fig = c.get(links["Figures (JSON)"])
    body = json.loads(fig.content)
    assert body["about"]["period"]["end"] == "2023-06-30"
    assert fig["Content-Disposition"].endswith('-2023-01-01_2023-06-30-internal-figures.json"')
    assert api_client_for(analyst).get(API, params).json() == body
    z = zipfile.ZipFile(io.BytesIO(c.get(links["Tables (CSV, zip)"]).content))
    assert "06_kinds.csv" in z.namelist()
    snap = Snapshot.objects.get()
    csv = c.get(reverse("observatory:snapshot_file", args=[snap.pk, "tables/01_totals.csv"]))
    assert csv.status_code == 200 and csv.content.startswith(b"key,label,reports")
    assert c.get(reverse("observatory:snapshot_file", args=[snap.pk, "tables/nope.csv"])) \
        .status_code == 404
    pdf = c.get(links["Report (PDF)"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # the report page weighs little: charts, and the tables behind <details>
    assert len(response.content) < 100_000


@pytest.mark.django_db(transaction=True)  # the real worker closes a connection left in a
# transaction (close_old_connections): on PostgreSQL the test must not run inside one
def test_publication_flow(data, client_for, admin_user, analyst, observer, run_tasks):
    anonymous = Client()
    assert "Nothing has been published yet." in anonymous.get(PUBLIC).content.decode()
    admin = client_for(admin_user)
    # the current year cannot be published; an analyst cannot publish
    this_year = timezone.localdate().year
    assert admin.post(reverse("observatory:publications"), {"year": this_year}) \
        .status_code == 400
    assert client_for(analyst).post(reverse("observatory:publications"),
                                    {"year": 2023}).status_code == 403
    response = admin.post(reverse("observatory:publications"), {"year": 2023})
    snap = Snapshot.objects.get(purpose="publication")
    assert response.status_code == 302 and response["Location"].endswith(f"/{snap.pk}/")
    assert html(admin.get(response["Location"])).select_one("progress")
    run_tasks()
    # a draft is not public
    assert anonymous.get(reverse("observatory:published", args=[2023])).status_code == 404
    assert anonymous.get("/api/v1/observatory/published/2023/").status_code == 404
    assert api_client_for(observer).get(API, {"year": 2023}).status_code == 404
    review = html(admin.get(response["Location"]))
    assert review.select_one("#table-06_kinds") and review.select_one("#table-02_repeat") is None
    assert client_for(analyst).post(response["Location"]).status_code == 403
    published = admin.post(response["Location"])
    assert published.status_code == 302
    url = reverse("observatory:published_version", args=[2023, 1])
    assert published["Location"] == url
    # open to anyone, frozen: byte-identical downloads whose sha256 is shown
    page = anonymous.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    first = anonymous.get(url + "report.fr.pdf").content
    assert first == anonymous.get(url + "report.fr.pdf").content and first.startswith(b"%PDF")
    figures = anonymous.get(url + "figures.json").content
    assert hashlib.sha256(figures).hexdigest() in text
    english = anonymous.get(url + "report.en.pdf").content  # the page's language
    assert english.startswith(b"%PDF") and english != first
    assert hashlib.sha256(english).hexdigest() in text
    assert anonymous.get(reverse("observatory:published", args=[2023])).status_code == 200
    assert "CHU Alpha" not in text
    # the staff page now opens on the latest published year (the fixture runs into 2024)
    assert html(client_for(analyst).get(INDEX)).select_one("#id_year")["value"] == "2023"
    # observers see the same thing; the staff page links to it
    obs = client_for(observer)
    assert obs.get(INDEX)["Location"] == reverse("observatory:published", args=[2023])
    assert api_client_for(observer).get(API, {"year": 2023}).json() == json.loads(figures)
    assert api_client_for(observer).get(API).json() == json.loads(figures)
    # a correction needs a note; it is a new version, the first one stays
    bad = admin.post(reverse("observatory:publications"), {"year": 2023, "note": " "})
    assert bad.status_code == 400 and "note" in bad.content.decode()
    v2 = services.prepare_publication(actor=admin_user, year=2023, note="Late reports added.",
                                      now=timezone.now())
    with pytest.raises(services.ObservatoryError):
        services.publish(actor=admin_user, snapshot_id=v2.pk, now=timezone.now())  # not ready
    run_tasks()
    services.publish(actor=admin_user, snapshot_id=v2.pk, now=timezone.now())
    assert anonymous.get(url + "figures.json").content == figures  # v1 unchanged
    old = anonymous.get(url).content.decode()
    assert "A later version corrects this one" in old and "Late reports added." in old
    listing = anonymous.get("/api/v1/observatory/published/").json()["results"]
    assert [(r["year"], r["version"]) for r in listing] == [(2023, 2), (2023, 1)]
    assert listing[0]["note"] == "Late reports added."
    with pytest.raises(services.ObservatoryError):
        services.publish(actor=admin_user, snapshot_id=v2.pk, now=timezone.now())
    actions = list(AuditEvent.objects.filter(action__startswith="observatory.")
                   .values_list("action", flat=True))
    assert actions.count("observatory.publish") == 2
    assert actions.count("observatory.prepare") == 2


def test_observers_get_published_years_only(data, client_for, observer):
    api = api_client_for(observer)
    response = api.get(API, {"from": "2023-01-01", "to": "2023-12-31"})
    assert response.status_code == 400 and "from" in response.json()
    assert api.get(API, {"year": 2023, "source": "hhs"}).status_code == 400
    assert api.get(API, {"year": 2023}).status_code == 404  # not published
    assert client_for(observer).get(INDEX)["Location"] == PUBLIC
    assert Snapshot.objects.count() == 0  # an observer never queues a computation


def test_bad_input_is_explained_next_to_the_field(client_for, analyst):
    c = client_for(analyst)
    response = c.get(INDEX, {"from": "2023-05-01", "to": "2023-01-01"})
    assert response.status_code == 400
    assert html(response).select_one(".field-error #id_to-errors")
    response = c.get(INDEX, {"year": "abc"})
    assert response.status_code == 400 and html(response).select_one("#id_year-errors")
    response = c.get(INDEX, {"year": 2023, "from": "2023-01-01", "to": "2023-02-01"})
    assert response.status_code == 400
    api = api_client_for(analyst).get(API, {"source": "elsewhere", "year": 2023})
    assert api.status_code == 400 and "source" in api.json()
    api = api_client_for(analyst).get(API, {"from": "nope", "to": "2023-01-01"})
    assert api.status_code == 400 and "from" in api.json()
    assert Client().get("/api/v1/observatory/published/2023/", {"version": "x"}) \
        .status_code == 400
    assert Snapshot.objects.count() == 0


def test_page_opens_on_the_latest_year_with_data(data, client_for, analyst):
    import datetime as dt

    assert services.default_year(dt.date(2030, 6, 1)) == 2024  # the fixture ends in 2024
    assert services.default_year(dt.date(2024, 3, 1)) == 2023
    page = html(client_for(analyst).get(INDEX))
    assert page.select_one("#id_year")["value"] == str(
        min(timezone.localdate().year - 1, 2024))
