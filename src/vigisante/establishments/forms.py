"""Forms of the establishments registry (the Django admin's), and the establishment search
that the staff forms use instead of a list of every establishment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.template import loader
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from vigisante.establishments import domain, search
from vigisante.establishments.models import Establishment


class FinessField(forms.CharField):
    """A FINESS number as typed by a person: spaces removed and upper-cased before checks."""

    def to_python(self, value):
        return domain.normalise_finess(super().to_python(value))


class EstablishmentForm(forms.ModelForm):
    """Admin form: the département, region and sector can be left blank to be derived.

    The département comes from the FINESS number, the region from the département and the
    sector from the category; the model's validators and `clean()` check the rest (FINESS
    shape, département and region consistent with the FINESS number).
    """

    finess = FinessField(label=_("FINESS number"), help_text=_(
        "9 characters: the département code (01-95, 2A, 2B, 9A-9F) and 7 digits."))

    class Meta:
        model = Establishment
        fields = ["finess", "name", "category", "sector", "legal_status", "town", "departement",
                  "region", "nis2_status", "insured", "synthetic"]
        help_texts = {
            "departement": _("Leave blank to take it from the FINESS number."),
            "region": _("Leave blank to take it from the département."),
            "sector": _("Leave blank to take it from the category (EHPAD and other "
                        "medico-social: medico-social; otherwise health)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("departement", "region", "sector"):
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        finess = data.get("finess") or ""
        if not data.get("departement") and finess and not domain.finess_error(finess):
            data["departement"] = domain.departement_of(finess)
        if not data.get("region") and data.get("departement"):
            data["region"] = domain.region_of(data["departement"]) or ""
        if not data.get("sector") and data.get("category"):
            data["sector"] = domain.sector_of(data["category"])
        for name in ("departement", "region", "sector"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("This field is required."))
        return data


# --- Choosing an establishment among many: a search, without JavaScript (issue 10) ----------

#: Above this many establishments to choose from, a form asks for a search instead of a list.
SEARCH_ABOVE = 20
MATCHES_SHOWN = 20


@dataclass(frozen=True)
class SearchInput:
    """What the browser sent for an establishment field: the ticked establishments, the
    search text, and whether its Search button was pressed."""

    chosen: tuple[str, ...] = ()
    query: str = ""
    searching: bool = False


class EstablishmentSearchWidget(forms.Widget):
    """A text box and a Search button (a submit button of the same form); the matches come
    back from the server as radio buttons (checkboxes for several establishments), the
    ones already chosen ticked. Accessible: the label names the text box, the matches are a
    group with its legend."""

    template_name = "establishments/_search_widget.html"

    def __init__(self, attrs=None, *, multiple: bool = False):
        super().__init__(attrs)
        self.multiple = multiple
        self.queryset: QuerySet = Establishment.objects.none()

    @staticmethod
    def query_name(name: str) -> str:
        return f"{name}_q"

    @staticmethod
    def find_name(name: str) -> str:
        return f"{name}_find"

    def value_from_datadict(self, data, files, name) -> SearchInput:
        chosen = data.getlist(name) if hasattr(data, "getlist") else (
            [data[name]] if data.get(name) not in (None, "") else [])
        return SearchInput(chosen=tuple(str(v) for v in chosen if str(v).strip())[:100],
                           query=search.normalise(data.get(self.query_name(name), "")),
                           searching=self.find_name(name) in data)

    def use_required_attribute(self, initial) -> bool:
        return False  # a ticked match answers the question with the text box empty

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and self.query_name(name) not in data

    def _render(self, template_name, context, renderer=None):
        # The site's template engine (templates/ of the package), not the forms renderer's.
        return mark_safe(loader.render_to_string(template_name, context))  # noqa: S308

    def get_context(self, name, value, attrs):
        context = super().get_context(name, None, attrs)
        value = value if isinstance(value, SearchInput) else SearchInput(chosen=_pks(value))
        chosen = list(self.queryset.filter(pk__in=[int(v) for v in value.chosen
                                                   if _is_pk(v)][:100]).order_by("name"))
        matches, more = search.search(self.queryset.exclude(pk__in=[e.pk for e in chosen]),
                                      value.query, MATCHES_SHOWN) if value.query else ([], False)
        context["widget"].update({
            "query": value.query, "query_name": self.query_name(name),
            "find_name": self.find_name(name), "multiple": self.multiple,
            "chosen": chosen, "matches": matches, "more": more, "limit": MATCHES_SHOWN,
            "searched": bool(value.query) and (value.searching or not chosen),
            "input_type": "checkbox" if self.multiple else "radio",
        })
        return context


def _is_pk(value: str) -> bool:
    return value.isdigit() and len(value) <= 18  # (a longer number overflows the databases)


def _pks(value: Any) -> tuple[str, ...]:
    """An initial value (a pk, an establishment, or a list of them) as chosen pks."""
    if value in (None, ""):
        return ()
    items = value if isinstance(value, (list, tuple, set, QuerySet)) else [value]
    return tuple(str(getattr(v, "pk", v)) for v in items)


class EstablishmentField(forms.Field):
    """One establishment (or several, `multiple=True`) among `queryset`, found by a search on
    the server: part of the name, the town or the FINESS number, accents ignored.

    Sending the form with a search that matches exactly one establishment chooses it; with
    several matches, the form asks to pick one of them (shown below the box); pressing
    Search shows the matches without submitting the rest of the form (the form's
    `RedisplayMixin` keeps everything typed).
    """

    widget = EstablishmentSearchWidget
    default_error_messages = {
        "required": _("Type part of the establishment's name, its town or its FINESS "
                      "number, then press Search."),
        "invalid_choice": _("Choose an establishment from the list."),
        "no_match": _("No establishment matches “%(query)s”."),
        "several": _("%(count)s establishments match “%(query)s”: choose one below."),
        "many": _("More than %(count)s establishments match “%(query)s”: type more of the "
                  "name, or the town."),
    }

    def __init__(self, *, queryset: QuerySet | None = None, multiple: bool = False, **kwargs):
        kwargs.setdefault("widget", EstablishmentSearchWidget(multiple=multiple))
        super().__init__(**kwargs)
        self.multiple = multiple
        self.queryset = queryset if queryset is not None else Establishment.objects.none()

    @property
    def queryset(self) -> QuerySet:
        return self._queryset

    @queryset.setter
    def queryset(self, qs: QuerySet) -> None:
        self._queryset = qs
        self.widget.queryset = qs

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.queryset = self._queryset.all()
        return result

    def wants_redisplay(self, data, html_name: str) -> bool:
        """The Search button was pressed: show the matches, submit nothing."""
        return EstablishmentSearchWidget.find_name(html_name) in data

    def bound_data(self, data, initial):
        return data

    def clean(self, value: SearchInput):
        value = value if isinstance(value, SearchInput) else SearchInput(chosen=_pks(value))
        chosen = self._chosen(value.chosen)
        if not chosen and value.query:
            found, more = search.search(self._queryset, value.query, MATCHES_SHOWN)
            params = {"query": value.query, "count": len(found)}
            if not found:
                raise ValidationError(self.error_messages["no_match"], code="no_match",
                                      params=params)
            if more:
                raise ValidationError(self.error_messages["many"], code="many",
                                      params={**params, "count": MATCHES_SHOWN})
            if len(found) > 1:
                raise ValidationError(self.error_messages["several"], code="several",
                                      params=params)
            chosen = found
        if not chosen and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if self.multiple:
            return chosen
        return chosen[0] if chosen else None

    def _chosen(self, raw: tuple[str, ...]) -> list:
        if not raw:
            return []
        if not all(_is_pk(v) for v in raw) or (len(raw) > 1 and not self.multiple):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        pks = {int(v) for v in raw}
        found = list(self._queryset.filter(pk__in=pks).order_by("name"))
        if len(found) != len(pks):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found

    def has_changed(self, initial, data) -> bool:
        return True
