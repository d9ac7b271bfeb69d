"""Browser tests: Debian's Chromium driven by Playwright's sync API against `live_server`.

They run in the normal suite (marker `e2e`, never skipped). Playwright's sync API runs an event
loop in the test thread, which makes Django's async-safety check refuse ORM calls there; the
tests only touch the ORM between browser steps, never concurrently, so the check is lifted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, options: dict):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def phone_page(browser, live_server):
    """A page in a phone-sized, touch browser (390 x 844)."""
    context, page = _page(browser, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """`new_page(phone=False)`: more browsers (one per user) in the same test."""
    contexts = []

    def _new(phone: bool = False):
        context, page = _page(browser, PHONE if phone else DESKTOP)
        contexts.append(context)
        return page

    yield _new
    for context in contexts:
        context.close()


def log_in(page, base_url: str, email: str, password: str, *, totp_device=None) -> None:
    """Log in through the real login page, then the real second-factor page for staff."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if totp_device is not None:
        from django_otp.oath import TOTP

        assert "/accounts/two-factor/" in page.url, page.url
        totp = TOTP(totp_device.bin_key, totp_device.step, totp_device.t0, totp_device.digits,
                    totp_device.drift)
        page.fill("input[name=otp_token]", f"{totp.token():0{totp_device.digits}d}")
        with page.expect_navigation():
            page.press("input[name=otp_token]", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"
