"""Authority users for the tests (an account with its scope)."""

from __future__ import annotations

from conftest import make_user

from vigisante.accounts.models import Role
from vigisante.authorities.models import AuthorityAccount


def make_authority(email: str, authority: str, region: str = ""):
    user = make_user(email, Role.AUTHORITY)
    AuthorityAccount.objects.create(user=user, authority=authority, region=region)
    return user
