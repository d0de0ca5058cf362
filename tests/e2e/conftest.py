"""Browser journeys: Playwright driving the Chromium of Debian's ``chromium`` package.

Without a Chromium the journeys skip with the reason, unless ``REQUIRE_BROWSER=1``
(set by ``.ci/run``), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import reset

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 375, "height": 812}}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


# Package scope: Playwright's event loop stops when the last browser journey is done, so the tests that
# pytest runs after tests/e2e/ (tests/events/, tests/register/) do not see a running loop.
# ``django_db_setup`` first: the test database is created before that loop starts.
@pytest.fixture(scope="package")
def browser(django_db_setup):
    path = _chromium_path()
    if path is None:
        reason = "no Chromium found (install Debian's chromium package or set CHROMIUM_PATH)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # With Playwright's loop running, Django's ``connections`` (an asgiref Local) hands out other
    # connection objects than the ones setup_databases() created, and those lack the snapshot that
    # serialized rollback restores from. Without it, each browser test would end with a flush that
    # recreates content types under new ids, and later serialized-rollback tests (tests/events/
    # test_race.py) would fail loading the snapshot. Hand the snapshot on, and the quick flush and refill
    # (tests/reset.py).
    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in snapshots.items():
            connections[alias]._test_serialized_contents = contents
            reset.install(connections[alias])
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The loop's connections are not the ones Django's test teardown closes.
        connections.close_all()


@pytest.fixture(autouse=True, scope="package")
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # from a thread with a running loop unless told it is safe. Only the browser tests do this.
    # Package scope, so it also covers the database flush that ends each transactional test
    # (pytest-django's fixture is torn down after any function-scoped one of ours).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


# For a journey in both languages at both widths, two runs instead of four: each language once and each width
# once, German at 375 px (the longer words on the narrower screen, the tighter fit) and English at desktop
# width. Every page is also checked at both widths by test_checks.py.
EACH_LANGUAGE_AND_WIDTH = pytest.mark.parametrize(("language", "viewport"), [("en", "desktop"), ("de", "mobile")])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test (``item.report_call``), for the fixtures' teardown to read."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, viewport, request):
    """A fresh browser context per test; fails the test on any console error. A journey that failed leaves a
    screenshot of the page as it ended in test-artifacts/e2e/."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    from tests.e2e.helpers import watch_errors

    errors = watch_errors(page)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / f"{name}-final.png"), full_page=True)
    context.close()
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def shot(page, request):
    """Save a named screenshot as a test artifact."""

    def take(label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)

    return take
