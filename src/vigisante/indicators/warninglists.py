"""Warning lists kept in the database: MISP lists imported by analysts, analysts' own entries
and each establishment's own domains. Values listed never become indicators."""

from __future__ import annotations

import ipaddress
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vigisante.core import audit
from vigisante.indicators.access import require_staff
from vigisante.indicators.models import WarningListEntry, WarningOrigin

MAX_IMPORT_BYTES = 20 * 1024 * 1024
ANALYST_LIST = "analyst"


def _extraction():
    from vigisante.indicators import extraction

    return extraction


def _typed(value: str) -> tuple[str, str] | None:
    """(type, canonical value) of a list value: a CIDR range, or any indicator value."""
    value = value.strip()
    if "/" in value and ":" not in value.split("/", 1)[1]:
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            pass
        else:
            if net.num_addresses == 1:
                return ("ipv4" if net.version == 4 else "ipv6"), str(net.network_address)
            return ("ipv4" if net.version == 4 else "ipv6"), str(net)
    ex = _extraction()
    type_ = ex.guess_type(value)
    if type_ is None and value.startswith("."):
        type_, value = ex.guess_type(value[1:]), value[1:]
    if type_ is None:
        return None
    clean = ex.canonical(type_, value)
    return (type_, clean) if clean else None


@transaction.atomic
def add_entry(*, actor, value: str, list_name: str = "", establishment=None) -> WarningListEntry:
    """An analyst keeps one value (or an IP range) out of the indicators."""
    require_staff(actor)
    value = str(value or "")
    if not value.strip() or len(value) > 2048 or "\x00" in value:
        raise ValidationError({"value": [_("Enter a domain, address, hash or IP range.")]})
    typed = _typed(value)
    if typed is None:
        raise ValidationError({"value": [_("Enter a domain, address, hash or IP range.")]})
    origin = WarningOrigin.ESTABLISHMENT if establishment is not None else WarningOrigin.ANALYST
    list_name = (str(list_name or "").strip()[:200]
                 or (f"establishment:{establishment.pk}" if establishment else ANALYST_LIST))
    entry, _created = WarningListEntry.objects.get_or_create(
        list_name=list_name, type=typed[0], value=typed[1],
        defaults={"origin": origin, "establishment": establishment, "created_by": actor})
    audit.record(actor=actor, action="warninglist.add", obj=entry,
                 after={"list": list_name, "type": typed[0], "value": typed[1]})
    return entry


@transaction.atomic
def remove_entry(*, actor, entry_id) -> None:
    require_staff(actor)
    entry = WarningListEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        from django.http import Http404

        raise Http404("No such entry.")
    audit.record(actor=actor, action="warninglist.remove", obj=entry,
                 before={"list": entry.list_name, "value": entry.value})
    entry.delete()


def _bad(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


@transaction.atomic
def import_misp(*, actor, uploaded) -> dict[str, int | str]:
    """Import one MISP warninglist JSON file, replacing an earlier import of the same list.
    A bad file is refused whole with a clear message; nothing is written."""
    require_staff(actor)
    size = getattr(uploaded, "size", None) or 0
    if size > MAX_IMPORT_BYTES:
        raise _bad(_("The file is too large (at most 20 MiB)."))
    raw = uploaded.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise _bad(_("The file is too large (at most 20 MiB)."))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad(_("This is not a JSON file.")) from None
    if not isinstance(data, dict):
        raise _bad(_("This is not a MISP warning list (an object with a name and a list)."))
    try:
        from vigisante.indicators.extraction.warninglists import load_misp_warninglist

        wl = load_misp_warninglist(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad(_("This is not a MISP warning list: %(reason)s") % {"reason": exc}) from None
    name = str(wl.name or "").strip()[:200]
    if not name:
        raise _bad(_("This is not a MISP warning list (an object with a name and a list)."))
    entries: dict[tuple[str, str], None] = {}
    skipped = 0
    for value in wl.values:
        typed = _typed(str(value)) if isinstance(value, str) and len(value) <= 2048 else None
        if typed is None:
            skipped += 1
        else:
            entries[typed] = None
    if not entries:
        raise _bad(_("This list holds no value Vigisanté can use (domains, addresses, hashes "
                     "or IP ranges)."))
    WarningListEntry.objects.filter(list_name=name, origin=WarningOrigin.MISP).delete()
    WarningListEntry.objects.bulk_create(
        [WarningListEntry(list_name=name, type=t, value=v, origin=WarningOrigin.MISP,
                          created_by=actor) for t, v in entries], batch_size=2000,
        ignore_conflicts=True)
    audit.record(actor=actor, action="warninglist.import", object_type="warninglist",
                 object_id=name, after={"list": name, "entries": len(entries),
                                        "skipped": skipped})
    return {"list": name, "entries": len(entries), "skipped": skipped}
