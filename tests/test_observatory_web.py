"""The observatory page, its downloads and the API: who sees what, and bad input."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from conftest import api_client_for, html
from django.urls import reverse
from test_observatory_data import build

pytestmark = pytest.mark.django_db

INDEX = reverse("observatory:index")
API = "/api/v1/observatory/"


@pytest.fixture
def data():
    return build()


def test_anonymous_goes_to_login_and_reporters_get_404(client, client_for, reporter_a):
    for url in (INDEX, reverse("observatory:figures"), reverse("observatory:pdf")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
        assert client_for(reporter_a).get(url).status_code == 404
    assert client.get(API).status_code in (401, 403)
    assert api_client_for(reporter_a).get(API).status_code == 404


def test_analyst_sees_the_internal_version_with_names(data, client_for, analyst):
    response = client_for(analyst).get(INDEX, {"year": 2023})
    assert response.status_code == 200
    page = html(response)
    assert page.select_one("#table-02_repeat caption")
    assert page.select_one("#table-09_narratives")
    assert "CH Eta" in page.select_one("#table-02_repeat").get_text()
    assert page.select_one("select[name=view]")
    links = [a["href"] for a in page.select(".obs-downloads a")]
    assert any(h.startswith(reverse("observatory:figures")) for h in links)
    public = html(client_for(analyst).get(INDEX, {"year": 2023, "view": "public"}))
    assert public.select_one("#table-02_repeat") is None


def test_observer_always_gets_the_public_version(data, client_for, observer):
    c = client_for(observer)
    page = html(c.get(INDEX, {"year": 2023, "view": "internal"}))
    assert page.select_one("select[name=view]") is None
    assert page.select_one("#table-09_narratives") is None
    text = page.get_text()
    assert "CHU Alpha" not in text and "< 5" in text
    fig = json.loads(c.get(reverse("observatory:figures"), {"year": 2023}).content)
    assert fig["about"]["version"] == "public"
    api = api_client_for(observer).get(API, {"year": 2023, "view": "internal"})
    assert api.status_code == 200 and api.json()["about"]["version"] == "public"
    assert api.json() == fig


def test_downloads(data, client_for, analyst):
    c = client_for(analyst)
    params = {"from": "2023-01-01", "to": "2023-06-30"}
    fig = c.get(reverse("observatory:figures"), params)
    assert fig["Content-Disposition"].endswith('-2023-01-01_2023-06-30-internal.json"')
    body = json.loads(fig.content)
    assert body["about"]["period"]["end"] == "2023-06-30"
    z = zipfile.ZipFile(io.BytesIO(c.get(reverse("observatory:tables_zip"), params).content))
    names = z.namelist()
    assert any(n.endswith("/06_kinds.csv") for n in names) and len(names) > 20
    csv = c.get(reverse("observatory:table_csv", args=["01_totals"]), params)
    assert csv.status_code == 200 and csv.content.startswith(b"key,label,reports")
    assert c.get(reverse("observatory:table_csv", args=["nope"]), params).status_code == 404
    pdf = c.get(reverse("observatory:pdf"), {"year": 2023, "view": "public"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    api = api_client_for(analyst).get(API, params)
    assert api.status_code == 200 and api.json() == body


def test_bad_input_is_explained_next_to_the_field(client_for, analyst):
    c = client_for(analyst)
    response = c.get(INDEX, {"from": "2023-05-01", "to": "2023-01-01"})
    assert response.status_code == 400
    assert html(response).select_one(".field-error #id_to-errors")
    response = c.get(INDEX, {"year": "abc"})
    assert response.status_code == 400 and html(response).select_one("#id_year-errors")
    response = c.get(INDEX, {"year": 2023, "from": "2023-01-01", "to": "2023-02-01"})
    assert response.status_code == 400
    assert c.get(reverse("observatory:figures"), {"to": "2023-01-01"}).status_code == 400
    api = api_client_for(analyst).get(API, {"source": "elsewhere", "year": 2023})
    assert api.status_code == 400 and "source" in api.json()
    api = api_client_for(analyst).get(API, {"from": "nope", "to": "2023-01-01"})
    assert api.status_code == 400 and "from" in api.json()


def test_imported_sources_have_their_own_page(client_for, analyst):
    response = client_for(analyst).get(INDEX, {"year": 2023, "source": "hhs"})
    assert response.status_code == 200
    assert html(response).select_one("#table-05_entity_types")
