"""Django admin of the registry: search, filters, FINESS validation, audit."""

from __future__ import annotations

import pytest
from conftest import make_establishment, make_user
from django.urls import reverse

from vigisante.accounts.models import Role, User
from vigisante.core.models import AuditEvent
from vigisante.establishments import domain
from vigisante.establishments.forms import EstablishmentForm
from vigisante.establishments.models import Establishment, Supplier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def admin_client(client_for):
    user = make_user("root@example.org", Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return client_for(user)


def form_data(**overrides):
    data = {"finess": "750000011", "name": "CH test (synthetic)", "category": "ch",
            "sector": "", "legal_status": "public", "departement": "", "region": "",
            "nis2_status": "essential",
            # the inline of the suppliers it uses, empty
            "supplier_uses-TOTAL_FORMS": "0", "supplier_uses-INITIAL_FORMS": "0"}
    data.update(overrides)
    return data


def test_changelist_search_and_filters(admin_client, est_a, est_b):
    url = reverse("admin:establishments_establishment_changelist")
    html = admin_client.get(url).content.decode()
    assert est_a.finess in html and est_b.finess in html
    for param in ("category__exact", "sector__exact", "region__exact", "nis2_status__exact"):
        assert param in html
    html = admin_client.get(url + "?q=690000022").content.decode()
    assert est_b.name in html and est_a.name not in html
    html = admin_client.get(url + "?sector__exact=medico_social").content.decode()
    assert est_b.name in html and est_a.name not in html


def test_add_derives_departement_region_sector_and_is_audited(admin_client):
    response = admin_client.post(reverse("admin:establishments_establishment_add"),
                                 form_data(finess=" 2a 000 0015", category="ehpad"))
    assert response.status_code == 302
    est = Establishment.objects.get()
    assert (est.finess, est.departement, est.region, est.sector) == (
        "2A0000015", "2A", "COR", "medico_social")
    event = AuditEvent.objects.get(action="admin.create")
    assert event.after["finess"] == "2A0000015"


@pytest.mark.parametrize("finess,message", [
    ("75000001", "9 characters"),
    ("7500000111", "9 characters"),
    ("1A0000011", "département code (01-95, 2A, 2B, 9A-9F)"),
    ("960000011", "96 is not a département code"),
    ("9E0000011", "9E is not a département code"),
    ("", "This field is required"),
])
def test_bad_finess_is_refused_next_to_the_field(admin_client, finess, message):
    response = admin_client.post(reverse("admin:establishments_establishment_add"),
                                 form_data(finess=finess))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["finess"])
    assert not Establishment.objects.exists()


def test_inconsistent_departement_and_region_are_refused(db):
    form = EstablishmentForm(data=form_data(departement="69"))
    assert not form.is_valid()
    assert "belongs to département 75" in " ".join(form.errors["departement"])
    form = EstablishmentForm(data=form_data(region="ARA"))
    assert not form.is_valid()
    assert "is in region" in " ".join(form.errors["region"])


def test_all_overseas_and_corsica_prefixes_accepted():
    for dept in ("2A", "2B", "9A", "9B", "9C", "9D", "9F"):
        assert domain.finess_error(f"{dept}0000011") is None
    assert domain.region_of("9F") == "MAY"
    assert domain.sector_of("ehpad") == "medico_social"
    assert domain.sector_of("lab") == "health"


def test_change_is_audited_with_the_difference(admin_client, est_a):
    url = reverse("admin:establishments_establishment_change", args=[est_a.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, form_data(name="Renamed (synthetic)",
                                                departement="75", region="IDF",
                                                sector="health"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change")
    assert event.before == {"name": est_a.name}
    assert event.after == {"name": "Renamed (synthetic)"}


def test_duplicate_finess_refused(admin_client, est_a):
    response = admin_client.post(reverse("admin:establishments_establishment_add"),
                                 form_data(finess=est_a.finess))
    assert response.status_code == 200
    assert "finess" in response.context["adminform"].form.errors
    assert Establishment.objects.count() == 1


def test_supplier_admin(admin_client):
    url = reverse("admin:establishments_supplier_add")
    assert admin_client.post(url, {"name": "Hébergeur (synthetic)", "siren": "",
                                   "uses-TOTAL_FORMS": "0", "uses-INITIAL_FORMS": "0"}
                             ).status_code == 302
    assert Supplier.objects.get().name == "Hébergeur (synthetic)"
    html = admin_client.get(reverse("admin:establishments_supplier_changelist")
                            + "?q=Héberg").content.decode()
    assert "Hébergeur (synthetic)" in html


def test_delete_is_audited(admin_client):
    est = make_establishment("330000013", "To delete (synthetic)", region="NAQ")
    url = reverse("admin:establishments_establishment_delete", args=[est.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Establishment.objects.filter(pk=est.pk).exists()
    assert AuditEvent.objects.get(action="admin.delete").before["finess"] == "330000013"
