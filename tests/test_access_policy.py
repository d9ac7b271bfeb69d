"""The access policy (vigisante.core.access): the table itself, pure checks without a
database, and the agreement of the in-memory answer with the querysets derived from it."""

from __future__ import annotations

import itertools

import pytest
from conftest import make_establishment, make_user
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone

from vigisante.accounts.access import establishment_ids
from vigisante.accounts.models import ApiToken, Invitation, Role, User
from vigisante.core import access
from vigisante.establishments.models import Establishment
from vigisante.reports.models import Report, Source

STAFF = {"analyst", "admin"}
REPORT_ACTIONS = {
    # action: roles allowed (on the objects of their scope)
    "view": STAFF | {"reporter"}, "change": STAFF | {"reporter"},
    "download": STAFF | {"reporter"}, "create": STAFF | {"reporter"},
    "record_on_behalf": STAFF,
    "triage": STAFF, "acknowledge": STAFF, "qualify": STAFF, "transition": STAFF,
    "assign": STAFF, "note": STAFF, "message": STAFF, "support": STAFF,
    "reopen": {"admin"}, "reply": {"reporter"},
    # the chain of authorities (issue 11): the need-to-know summary, and the CERT's side
    "summary": STAFF | {"authority"}, "transmissions": STAFF, "hold_transmissions": STAFF,
    "message_authority": STAFF,
    "draft": STAFF | {"reporter"}, "complete_drafts": STAFF | {"reporter"},
}


# --- The table ----------------------------------------------------------------------------


def test_the_report_table_is_what_the_docs_say():
    table = access.table()
    got = {action: set(roles) for (model, action), roles in table.items()
           if model == "reports.Report"}
    assert got == REPORT_ACTIONS
    assert "observer" not in set().union(*got.values()), "observers see figures only"
    for action in ("view", "change", "download", "triage", "qualify", "reopen", "summary"):
        for role, scope in table[("reports.Report", action)].items():
            assert "sector records" in scope, f"{action} of {role} reaches imported records"
    assert table[("reports.Report", "reply")]["reporter"] == "sector records & own establishments"
    # an authority sees a summary of what was sent to it, never the report itself
    assert table[("reports.Report", "summary")]["authority"] == (
        "sector records & reports transmitted to the user's authority")
    assert not any("authority" in table[("reports.Report", a)]
                   for a in ("view", "change", "download", "triage", "note", "message"))
    assert table[("establishments.Establishment", "report")] == {
        "admin": "every object", "analyst": "every object", "reporter": "own establishments"}
    assert set(table[("accounts.ApiToken", "revoke")]) == set(Role.values)
    assert set(table[("accounts.Invitation", "create")]) == STAFF


def test_an_unregistered_action_is_an_error_not_a_refusal():
    with pytest.raises(LookupError, match="reports.Report.qualfy"):
        access.allowed(User(role=Role.ANALYST, is_active=True), "qualfy", Report)
    with pytest.raises(LookupError):
        access.restrict(Report.objects.all(), AnonymousUser(), "edit")


def test_two_apps_cannot_register_the_same_action():
    with pytest.raises(ValueError, match="already registered by reports"):
        access.register(Report, {"view": {"analyst": access.EVERY}}, app="somebody-else")
    assert access.table()[("reports.Report", "view")]["analyst"] == "sector records"


def test_a_rule_must_be_a_scope():
    with pytest.raises(TypeError):
        access.register(Report, {"frobnicate": {"analyst": True}}, app="tests")


# --- Pure answers (no database) -------------------------------------------------------------


def _user(role: str, *, active: bool = True, establishments=()) -> User:
    user = User(pk=hash(role) % 1000 + 1, email=f"{role}@example.org", role=role,
                is_active=active)
    user._access_establishment_ids = frozenset(establishments)
    return user


def _report(source: str = Source.SECTOR, establishment_id: int | None = 1) -> Report:
    return Report(pk=7, source=source, establishment_id=establishment_id)


def test_pure_answers_for_every_role_and_action():
    analyst, admin = _user("analyst"), _user("admin")
    mine, other = _user("reporter", establishments=[1]), _user("reporter", establishments=[2])
    observer = _user("observer")
    sector, veris, hhs = _report(), _report(Source.VERIS, None), _report(Source.HHS, None)
    for action in REPORT_ACTIONS:
        if action in ("create", "record_on_behalf"):
            continue
        for user in (analyst, admin):
            assert access.allowed(user, action, sector) == (user.role in REPORT_ACTIONS[action])
        for imported in (veris, hhs):
            for user in (analyst, admin, mine, other, observer):
                assert not access.allowed(user, action, imported), (action, user.role)
        assert access.allowed(mine, action, sector) == ("reporter" in REPORT_ACTIONS[action])
        assert not access.allowed(other, action, sector), action
        assert not access.allowed(observer, action, sector), action
        assert not access.allowed(AnonymousUser(), action, sector), action
        assert not access.allowed(_user("analyst", active=False), action, sector), action
        scopeless = _user("authority")
        scopeless._authority_scope = None  # an authority account without a scope
        assert not access.allowed(scopeless, action, sector), "no scope, nothing"


def test_model_level_answers():
    assert access.allowed(_user("analyst"), "triage", Report)
    assert not access.allowed(_user("reporter"), "triage", Report)
    assert access.allowed(_user("reporter"), "create", Report)
    assert not access.allowed(_user("observer"), "create", Report)
    assert not access.allowed(AnonymousUser(), "view", Report)
    assert access.allowed(_user("admin"), "record_on_behalf", Report)
    assert not access.allowed(_user("reporter"), "record_on_behalf", Report)
    assert access.roles_for(Report, "triage") == ["admin", "analyst"]
    assert access.roles_for(Report, "reopen") == ["admin"]


def test_require_and_get_or_404_answer_404():
    from django.http import Http404

    with pytest.raises(Http404):
        access.require(_user("observer"), "view", Report)
    for bad in ("x", None, -1, 0, 2**63, "1e3"):
        with pytest.raises(Http404):
            access.parse_pk(bad)


def test_scopes_combine():
    even = access.where("even", lambda u: Q(pk__in=[2, 4]), lambda u, o: o.pk % 2 == 0)
    small = access.where("small", lambda u: Q(pk__lt=3), lambda u, o: o.pk < 3)
    both, either = even & small, even | small
    assert both.name == "even & small" and either.name == "(even | small)"
    objs = [Report(pk=n) for n in (1, 2, 3, 4)]
    assert [o.pk for o in objs if both.test(None, o)] == [2]
    assert [o.pk for o in objs if either.test(None, o)] == [1, 2, 4]
    assert (access.EVERY & even) is even and (even & access.EVERY) is even
    assert (access.EVERY | even) is access.EVERY


# --- The querysets agree with the in-memory answers -------------------------------------


@pytest.fixture
def population(db):
    est_a = make_establishment("750000011", "A (synthetic)")
    est_b = make_establishment("690000022", "B (synthetic)")
    users = {
        "analyst": make_user("an@example.org", Role.ANALYST),
        "admin": make_user("ad@example.org", Role.ADMIN),
        "observer": make_user("ob@example.org", Role.OBSERVER),
        "reporter of A": make_user("ra@example.org", establishments=[est_a]),
        "reporter of A and B": make_user("rab@example.org", establishments=[est_a, est_b]),
        "reporter of nothing": make_user("rn@example.org"),
    }
    inactive = make_user("gone@example.org", Role.ANALYST)
    inactive.is_active = False
    inactive.save()
    users["inactive analyst"] = inactive
    now = timezone.now()
    common = dict(description="x", discovered_at=now, created_at=now, channel="web")
    reports = [
        Report.objects.create(reference="T-1", establishment=est_a, **common),
        Report.objects.create(reference="T-2", establishment=est_b, **common),
        Report.objects.create(reference="T-3", source=Source.VERIS, source_id="v1",
                              channel="import", description="x", discovered_at=now,
                              created_at=now),
        Report.objects.create(reference="T-4", source=Source.HHS, source_id="h1",
                              establishment=est_a, channel="import", description="x",
                              discovered_at=now, created_at=now),
    ]
    return users, reports, [est_a, est_b]


def test_querysets_and_object_answers_agree(population, django_assert_max_num_queries):
    users, reports, establishments = population
    users = {**users, "anonymous": AnonymousUser()}
    for (label, user), action in itertools.product(users.items(), REPORT_ACTIONS):
        if action in ("create", "record_on_behalf"):
            continue
        fresh = User.objects.get(pk=user.pk) if user.pk else user
        listed = set(Report.objects.restrict(fresh, action).values_list("reference", flat=True))
        one_by_one = {r.reference for r in reports if access.allowed(fresh, action, r)}
        assert listed == one_by_one, (label, action)
        # no DISTINCT: a reporter of two establishments gets each report once
        assert Report.objects.restrict(fresh, action).count() == len(listed)
        assert "T-3" not in listed and "T-4" not in listed, "imported records"
    mine = users["reporter of A and B"]
    assert set(access.restrict(Establishment, mine, "report")) == set(establishments)
    with django_assert_max_num_queries(1):  # memberships once, then cached on the user
        assert all(access.allowed(mine, "view", r) for r in reports[:2])
    assert establishment_ids(mine) == {e.pk for e in establishments}


def test_get_or_404_locks_and_checks(population):
    from django.db import transaction
    from django.http import Http404

    users, reports, _ = population
    with transaction.atomic():
        got = access.get_or_404(Report, users["reporter of A"], "change", reports[0].pk,
                                for_update=True)
        assert got == reports[0]
        for refused in (reports[1], reports[2], reports[3]):
            with pytest.raises(Http404):
                access.get_or_404(Report, users["reporter of A"], "change", refused.pk,
                                  for_update=True)
        with pytest.raises(Http404):
            access.get_or_404(Report, users["analyst"], "change", reports[2].pk)


def test_tokens_and_invitations(population):
    users, _, _ = population
    token, _raw = ApiToken.issue(users["reporter of A"], "mine")
    assert access.allowed(users["reporter of A"], "revoke", token)
    assert not access.allowed(users["analyst"], "revoke", token)
    assert list(access.restrict(ApiToken, users["analyst"], "view")) == []
    assert access.allowed(users["analyst"], "create", Invitation)
    assert not access.allowed(users["reporter of A"], "create", Invitation)


def test_the_observatory_table_and_its_snapshots(population):
    from vigisante.observatory.models import Snapshot

    table = access.table()
    got = {action: roles for (model, action), roles in table.items()
           if model == "observatory.Snapshot"}
    assert got == {
        "view": {"admin": "every object", "analyst": "every object",
                 "observer": "published versions"},
        "compute": {"admin": "every object", "analyst": "every object"},
        "review": {"admin": "every object", "analyst": "every object"},
        "publish": {"admin": "every object"},
    }
    users, _, _ = population
    now = timezone.now()
    day = now.date()
    common = dict(purpose="publication", first_day=day, last_day=day, year=2023,
                  requested_at=now)
    draft = Snapshot.objects.create(version=2, **common)
    public = Snapshot.objects.create(version=1, published_at=now, **common)
    working = Snapshot.objects.create(purpose="working", first_day=day, last_day=day,
                                      requested_at=now)
    for name, user in users.items():
        visible = set(access.restrict(Snapshot, user, "view"))
        for snap in (draft, public, working):
            assert access.allowed(user, "view", snap) == (snap in visible), (name, snap)
    assert set(access.restrict(Snapshot, users["analyst"], "view")) == {draft, public, working}
    assert set(access.restrict(Snapshot, users["observer"], "view")) == {public}
    assert not access.allowed(users["reporter of A"], "view", public)  # public pages: no rule
    assert access.allowed(users["admin"], "publish", Snapshot)
    assert not access.allowed(users["analyst"], "publish", Snapshot)
    assert not access.allowed(users["observer"], "compute", Snapshot)


def test_the_view_decorator_checks_the_object_of_the_url(population, rf):
    from django.http import Http404, HttpResponse

    users, reports, _ = population

    @access.requires({"GET": "view", "POST": "change"}, Report, kwarg="pk")
    def page(request, pk):
        return HttpResponse(request.access_object.reference)

    @access.requires("triage", Report)
    def queue(request):
        return HttpResponse("queue")

    def call(view, user, method="get", **kwargs):
        request = getattr(rf, method)("/")
        request.user = user
        return view(request, **kwargs)

    assert call(page, users["reporter of A"], pk=reports[0].pk).content == b"T-1"
    assert call(page, users["analyst"], "post", pk=reports[1].pk).content == b"T-2"
    assert call(page, users["analyst"], "delete", pk=reports[1].pk).status_code == 405
    for user, pk in ((users["reporter of A"], reports[1].pk), (users["observer"], reports[0].pk),
                     (users["analyst"], reports[2].pk), (users["analyst"], "x")):
        with pytest.raises(Http404):
            call(page, user, pk=pk)
    assert call(queue, users["admin"]).content == b"queue"
    with pytest.raises(Http404):
        call(queue, users["reporter of A"])
