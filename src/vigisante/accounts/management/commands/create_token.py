"""`vigisante create-token EMAIL [--name NAME]`: issue an API token, print it once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from vigisante.accounts import services
from vigisante.accounts.models import User


class Command(BaseCommand):
    help = ("Issue an API token to the user with this e-mail address and print it on "
            "standard output (only the hash is stored: it cannot be shown again).")

    def add_arguments(self, parser):
        parser.add_argument("email", help="e-mail address of an existing user")
        parser.add_argument("--name", default="command line",
                            help="what the token is for (default: command line)")
        parser.add_argument("--days", type=int, default=0,
                            help="the token expires after this many days (default: never)")

    def handle(self, *args, email: str, name: str, days: int = 0, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(_("No user has the e-mail address %(email)s.") % {
                "email": email})
        if not user.is_active:
            raise CommandError(_("The account %(email)s is disabled.") % {"email": email})
        if days < 0:
            raise CommandError(_("--days must be 0 (no expiry) or more."))
        _token, raw = services.issue_token(actor=None, owner=user, name=name,
                                           expires_in_days=days)
        self.stdout.write(raw)
