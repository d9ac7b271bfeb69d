"""The registry of which establishment uses which supplier and software: admin and CSV import
(`vigisante import-suppliers FILE.csv [--skip-invalid] [--dry-run]`)."""

from __future__ import annotations

import io

import pytest
from conftest import make_user
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from vigisante.accounts.models import Role, User
from vigisante.cli import main as cli_main
from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.establishments.models import Supplier, SupplierUse

pytestmark = pytest.mark.django_db
HEADER = "finess;supplier;product;note\n"


@pytest.fixture
def admin_client(client_for):
    user = make_user("root@example.org", Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return client_for(user)


def write(tmp_path, text: str | bytes):
    path = tmp_path / "suppliers.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_suppliers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_suppliers_and_uses_then_is_idempotent(tmp_path, est_a, est_b):
    Supplier.objects.create(name="Hexa Santé (synthetic)")
    path = write(tmp_path, HEADER
                 + f"{est_a.finess};hexa santé (synthetic);DPI Hexa 5;since 2021\n"
                 + f"{est_b.finess};Hébergeur Nuage (synthetic);;hosting\n"
                 + "\n"
                 + f"{est_a.finess[:2]} {est_a.finess[2:]};Hébergeur Nuage (synthetic);;\n")
    out, err = run(path)
    assert "Suppliers created: 1. Uses created: 3, updated: 0, unchanged: 0, skipped: 0." in out
    assert err == ""
    assert Supplier.objects.count() == 2  # the existing one matched without case
    hexa = Supplier.objects.get(name="Hexa Santé (synthetic)")
    assert list(hexa.customers.all()) == [est_a]
    use = SupplierUse.objects.get(supplier=hexa)
    assert (use.product, use.note) == ("DPI Hexa 5", "since 2021")
    assert set(est_a.suppliers.values_list("name", flat=True)) == {
        "Hexa Santé (synthetic)", "Hébergeur Nuage (synthetic)"}
    event = AuditEvent.objects.get(action="establishments.supplier_import")
    assert event.after["suppliers_created"] == ["Hébergeur Nuage (synthetic)"]
    assert len(event.after["created"]) == 3
    out, _err = run(path)
    assert "Uses created: 0, updated: 0, unchanged: 3" in out
    path = write(tmp_path, HEADER + f"{est_a.finess};Hexa Santé (synthetic);DPI Hexa 5;moved\n")
    out, _err = run(path)
    assert "updated: 1" in out
    assert SupplierUse.objects.get(supplier=hexa).note == "moved"
    assert audit.verify().ok


@pytest.mark.parametrize("row,message", [
    ("999999999;X;;", "99 is not a département code"),
    ("750000099;X;;", "750000099 is not in the registry"),
    ("750000011;;;", "supplier: This field is required"),
    ("750000011;" + "x" * 201 + ";;", "At most 200 characters"),
    ("75000001;X;;", "A spreadsheet may have dropped its leading zero"),
])
def test_bad_rows_import_nothing(tmp_path, est_a, row, message):
    path = write(tmp_path, HEADER + f"{est_a.finess};Good (synthetic);;\n" + row + "\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        run(path)
    assert not SupplierUse.objects.exists() and not Supplier.objects.exists()
    out, err = run(path, "--dry-run", "--skip-invalid")
    assert message in err and "line 3" in err
    assert "Dry run" in out and not SupplierUse.objects.exists()
    out, err = run(path, "--skip-invalid")
    assert SupplierUse.objects.count() == 1 and "skipped: 1" in out


def test_duplicate_row_and_bad_siren(tmp_path, est_a):
    path = write(tmp_path, "finess,supplier,product,siren\n"
                 f"{est_a.finess},A (synthetic),P,\n{est_a.finess},a (synthetic),p,\n"
                 f"{est_a.finess},B (synthetic),,12345\n")
    out, err = run(path, "--dry-run", "--skip-invalid")
    assert "line 3, -: The same establishment, supplier and product are already on line 2" \
        in err
    assert "line 4, siren: A SIREN number has 9 digits." in err


@pytest.mark.parametrize("content,message", [
    (b"", "The file is empty"),
    (b"finess;supplier\n", "header line but no rows"),
    (b"finess;product\n750000011;x\n", "missing required column(s): supplier"),
    (b"finess;supplier;colour\n750000011;x;red\n", "unknown column(s): colour"),
    ("finess;supplier\n750000011;Hôpital\n".encode("latin-1"), "not valid UTF-8"),
    (b"finess;supplier\n\"750000011;x\n", "othing was imported"),
])
def test_bad_files_are_refused_clearly(tmp_path, est_a, content, message):
    with pytest.raises(CommandError) as exc:
        run(write(tmp_path, content))
    assert message in str(exc.value)
    assert not SupplierUse.objects.exists()


def test_cli_with_dashes(tmp_path, est_a, capsys, monkeypatch):
    # run_from_argv closes every connection when done; the test's own must stay open.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    bad = write(tmp_path, HEADER + "7500;Hexa (synthetic);;\n")
    with pytest.raises(SystemExit) as exc:
        cli_main(["vigisante", "import-suppliers", bad])
    assert exc.value.code != 0
    captured = capsys.readouterr()
    assert "line 2, finess:" in captured.err and "Traceback" not in captured.err
    path = write(tmp_path, HEADER + f"{est_a.finess};Hexa (synthetic);;\n")
    cli_main(["vigisante", "import-suppliers", path])
    assert "Uses created: 1" in capsys.readouterr().out
    assert SupplierUse.objects.count() == 1


def test_admin_inline_on_the_establishment_is_audited(admin_client, est_a):
    supplier = Supplier.objects.create(name="Hexa Santé (synthetic)")
    url = reverse("admin:establishments_establishment_change", args=[est_a.pk])
    page = admin_client.get(url).content.decode()
    assert "supplier_uses-TOTAL_FORMS" in page
    data = {"finess": est_a.finess, "name": est_a.name, "category": est_a.category,
            "sector": est_a.sector, "legal_status": est_a.legal_status, "town": "Paris",
            "departement": est_a.departement, "region": est_a.region,
            "nis2_status": est_a.nis2_status,
            "supplier_uses-TOTAL_FORMS": "1", "supplier_uses-INITIAL_FORMS": "0",
            "supplier_uses-0-supplier": str(supplier.pk),
            "supplier_uses-0-product": "DPI Hexa", "supplier_uses-0-note": "n"}
    assert admin_client.post(url, data).status_code == 302
    use = SupplierUse.objects.get()
    assert (use.establishment, use.supplier, use.product) == (est_a, supplier, "DPI Hexa")
    assert AuditEvent.objects.get(action="admin.create", object_type="establishments.supplieruse"
                                  ).after["product"] == "DPI Hexa"
    data.update({"supplier_uses-TOTAL_FORMS": "1", "supplier_uses-INITIAL_FORMS": "1",
                 "supplier_uses-0-id": str(use.pk), "supplier_uses-0-establishment":
                 str(est_a.pk), "supplier_uses-0-product": "DPI Hexa 6"})
    assert admin_client.post(url, data).status_code == 302
    change = AuditEvent.objects.get(action="admin.change",
                                    object_type="establishments.supplieruse")
    assert (change.before, change.after) == ({"product": "DPI Hexa"}, {"product": "DPI Hexa 6"})
    data["supplier_uses-0-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    assert not SupplierUse.objects.exists()
    assert AuditEvent.objects.filter(action="admin.delete").count() == 1
    # the supplier's page lists its customers
    page = admin_client.get(reverse("admin:establishments_supplier_change",
                                    args=[supplier.pk])).content.decode()
    assert "customers" in page.lower()
    assert audit.verify().ok
