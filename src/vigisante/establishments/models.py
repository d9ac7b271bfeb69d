"""The registry of reporting structures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.establishments import domain
from vigisante.establishments.regions import DEPARTEMENTS, REGIONS


def validate_finess(value: str) -> None:
    """Django validator wrapping the pure FINESS rule."""
    error = domain.finess_error(value)
    if error:
        raise ValidationError(error, code="finess")


class Category(models.TextChoices):
    UNIVERSITY_HOSPITAL = "chu", _("University hospital")
    PUBLIC_HOSPITAL = "ch", _("Public hospital")
    PRIVATE_CLINIC = "clinic", _("Private clinic")
    NONPROFIT_HOSPITAL = "espic", _("Non-profit private hospital")
    CANCER_CENTRE = "clcc", _("Cancer centre")
    RADIOTHERAPY_CENTRE = "radiotherapy", _("Radiotherapy centre")
    MEDICAL_LABORATORY = "lab", _("Medical laboratory")
    ARMY_HOSPITAL = "army", _("Army hospital")
    EHPAD = "ehpad", _("Nursing home (EHPAD)")
    OTHER_MEDICO_SOCIAL = "medico_social", _("Other medico-social")
    OTHER = "other", _("Other")


MEDICO_SOCIAL_CATEGORIES = {Category.EHPAD, Category.OTHER_MEDICO_SOCIAL}


class Sector(models.TextChoices):
    HEALTH = "health", _("Health")
    MEDICO_SOCIAL = "medico_social", _("Medico-social")


class LegalStatus(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE_NONPROFIT = "private_nonprofit", _("Private non-profit")
    PRIVATE_FORPROFIT = "private_forprofit", _("Private for-profit")


class Nis2Status(models.TextChoices):
    ESSENTIAL = "essential", _("Essential entity")
    IMPORTANT = "important", _("Important entity")
    NOT_IN_SCOPE = "not_in_scope", _("Not in scope")
    UNKNOWN = "unknown", _("Unknown")


class Establishment(models.Model):
    finess = models.CharField(
        _("FINESS number"), max_length=9, unique=True, validators=[validate_finess]
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    legal_status = models.CharField(_("legal status"), max_length=20, choices=LegalStatus.choices)
    region = models.CharField(
        _("region"), max_length=3, choices=sorted(REGIONS.items(), key=lambda kv: str(kv[1]))
    )
    town = models.CharField(_("town"), max_length=100, blank=True)
    departement = models.CharField(
        _("département"), max_length=2,
        choices=[(code, f"{code} {name}") for code, (name, _r) in DEPARTEMENTS.items()],
    )
    nis2_status = models.CharField(
        _("NIS2 status"), max_length=20, choices=Nis2Status.choices, default=Nis2Status.UNKNOWN
    )
    insured = models.BooleanField(_("holds cyber-insurance"), default=False)
    # The data-protection officer (GDPR art. 37-39): the contact the CNIL notification and the
    # letter to the people affected give (art. 33(3)(b), 34(2)).
    dpo_name = models.CharField(_("data-protection officer"), max_length=200, blank=True)
    dpo_email = models.EmailField(_("data-protection officer's e-mail"), blank=True)
    dpo_phone = models.CharField(_("data-protection officer's phone"), max_length=30, blank=True)
    synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    suppliers = models.ManyToManyField(
        "Supplier", through="SupplierUse", related_name="customers", blank=True,
        verbose_name=_("suppliers"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        indexes = [models.Index(fields=["region"]), models.Index(fields=["category"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})"

    def clean(self) -> None:
        self.finess = domain.normalise_finess(self.finess)
        errors = {}
        if self.finess and not domain.finess_error(self.finess):
            dept = domain.departement_of(self.finess)
            if self.departement and self.departement != dept:
                errors["departement"] = _(
                    "The FINESS number belongs to département %(d)s."
                ) % {"d": dept}
        if self.departement in DEPARTEMENTS and self.region:
            expected = DEPARTEMENTS[self.departement][1]
            if self.region != expected:
                errors["region"] = _("Département %(d)s is in region %(r)s.") % {
                    "d": self.departement, "r": REGIONS[expected]}
        if errors:
            raise ValidationError(errors)


class Supplier(models.Model):
    """An IT supplier or host that establishments share (for correlation and campaigns)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class SupplierUse(models.Model):
    """The registry of who uses whom: an establishment is a customer of a supplier, for a
    software or product (targets alerts at a supplier's customers)."""

    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE,
                                      related_name="supplier_uses",
                                      verbose_name=_("establishment"))
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="uses",
                                 verbose_name=_("supplier"))
    product = models.CharField(_("software or product"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["supplier__name", "product", "id"]
        verbose_name = _("supplier used")
        verbose_name_plural = _("suppliers used")
        constraints = [
            models.UniqueConstraint(fields=["establishment", "supplier", "product"],
                                    name="unique_supplier_use"),
        ]
        indexes = [models.Index(fields=["supplier", "establishment"],
                                name="supplier_use_customers")]

    def __str__(self) -> str:
        product = f" ({self.product})" if self.product else ""
        return f"{self.supplier}{product}"
