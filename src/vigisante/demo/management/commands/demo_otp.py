"""`vigisante demo-otp EMAIL`: the current second-factor code of a demo staff account."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from vigisante.demo.data import DEMO_DOMAIN, TOTP_DEVICE_NAME, demo_totp_key


class Command(BaseCommand):
    help = ("Print the current 6-digit TOTP code of a demo analyst or admin (synthetic "
            "accounts of `vigisante demo` only: their secret is public).")

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, **options):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        email = options["email"].strip().lower()
        refusal = (f"{email} is not a demo staff account: demo-otp only gives the codes of the "
                   "synthetic analysts and admins created by `vigisante demo`.")
        if not email.endswith("@" + DEMO_DOMAIN):
            raise CommandError(refusal)
        key = demo_totp_key(email)
        device = (TOTPDevice.objects.filter(user__email__iexact=email, name=TOTP_DEVICE_NAME,
                                            confirmed=True)
                  .select_related("user").first())
        if device is None or device.bin_key != key or not device.user.requires_second_factor:
            raise CommandError(refusal)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
