"""The collections every installation has, with ids fixed from their alias (a partner's
configuration stays valid from one installation, or restore, to the next). Created by the
app's migration; `ensure_collections()` again wherever they may have been emptied (tests
that flush the database, the demo)."""

import uuid

NAMESPACE = uuid.UUID("5b0f3c52-4c8e-4d7e-9a59-7b1c8a0f9e11")
CATEGORIES = [
    ("chu", "University hospitals"), ("ch", "Public hospitals"),
    ("clinic", "Private clinics"), ("espic", "Non-profit private hospitals"),
    ("clcc", "Cancer centres"), ("radiotherapy", "Radiotherapy centres"),
    ("lab", "Medical laboratories"), ("army", "Army hospitals"),
    ("ehpad", "Nursing homes (EHPAD)"), ("medico_social", "Other medico-social establishments"),
    ("other", "Other establishments"),
]


def collections():
    yield ("everyone", "Everyone (TLP:CLEAR, TLP:GREEN)",
           "Alerts, campaigns and confirmed indicators the whole community may read.",
           "everyone", "", ["clear", "green"])
    yield ("establishments", "Every establishment (TLP:AMBER)",
           "Alerts sent to every establishment, for each establishment's own need to know.",
           "establishments", "", ["amber", "amber+strict"])
    for code, label in CATEGORIES:
        yield (f"category-{code}", f"{label} (TLP:AMBER)",
               f"Alerts sent to the {label.lower()}, for each one's own need to know.",
               "category", code, ["amber", "amber+strict"])
    yield ("partners", "Partners (TLP:AMBER)",
           "Confirmed indicators, campaigns and alerts at TLP:AMBER for partner CERTs and "
           "agencies.", "partners", "", ["amber"])
    yield ("inbox", "Inbox for partners",
           "Partners add STIX objects here; the CERT reviews them as incoming intelligence.",
           "inbox", "", [])


def ensure_collections(model=None) -> None:
    if model is None:
        from vigisante.taxii.models import Collection as model
    Collection = model
    for alias, title, description, audience, category, tlps in collections():
        Collection.objects.get_or_create(
            alias=alias, defaults={"id": uuid.uuid5(NAMESPACE, alias), "title": title,
                                   "description": description, "audience": audience,
                                   "category": category, "tlps": tlps})


