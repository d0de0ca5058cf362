"""Real checkers for the browser journeys: axe-core in the page, the Nu HTML Checker on its HTML.

Both come from the npm registry, pinned in ``package.json`` / ``package-lock.json`` and installed by
``npm ci`` (``.ci/run``; ``make test`` when npm exists). Without them, or without Java for the Nu
checker, a test that asks for them skips with the reason, unless ``REQUIRE_BROWSER=1`` (set by
``.ci/run``), where it fails: CI never passes without the checkers having run.

Use in a journey::

    from tests.e2e.checks import assert_accessible, assert_valid_html, page_html

    page.goto(url)
    assert_accessible(page)            # axe-core: 0 violations of any impact
    assert_valid_html({url: page_html(page)})   # or collect several pages, check them in one run

axe-core runs with the page's Content-Security-Policy in force: it is evaluated through the browser's
DevTools protocol (Playwright's ``evaluate``), which the policy does not govern, so the context needs no
``bypass_csp`` and an inline script of ours would still be refused and fail the journey.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import time
import urllib.request
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

from config.cluster.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run `npm ci` in the project directory (package.json pins axe-core and vnu-jar)"


def _missing(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@cache
def _axe_source() -> str:
    return AXE_JS.read_text()


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now, every rule and every impact."""
    if not AXE_JS.exists():
        _missing(f"axe-core is not installed: {INSTALL_HINT}")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }"""
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:5])
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """0 axe-core violations of any impact, with the page's Content-Security-Policy in force."""
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: axe-core found\n{format_violations(violations)}"


def page_html(page: Page) -> str:
    """The HTML the server sent for the page's current URL (not the DOM after scripts ran)."""
    response = page.request.get(page.url)
    assert response.ok, f"{page.url}: {response.status}"
    return response.text()


@cache
def _nu_service() -> str:
    """The address of the Nu HTML Checker's own web service (the servlet in its jar), started on the first check
    in this test process and stopped when the process ends. A check is then one HTTP request of some
    milliseconds, where a new ``java -jar vnu.jar`` for each check cost 2 s and more of a JVM starting up."""
    if not VNU_JAR.exists():
        _missing(f"the Nu HTML Checker is not installed: {INSTALL_HINT}")
    java = shutil.which("java")
    if java is None:
        _missing("no Java to run the Nu HTML Checker (`apt-get install default-jre-headless`)")
    port = free_port()
    command = [java, "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", str(VNU_JAR)]
    # Its log goes to a file (a pipe nobody reads while it runs would stop it once full).
    log = ROOT / "test-artifacts" / f"nu-checker-{os.getpid()}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as out:
        service = subprocess.Popen([*command, "nu.validator.servlet.Main", str(port)], stdout=out, stderr=out)
    atexit.register(service.kill)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return url
        except OSError:
            if service.poll() is not None:
                pytest.fail(f"the Nu HTML Checker's service stopped: {log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the Nu HTML Checker's service did not answer within 120 s")
            time.sleep(0.2)


def nu_errors(documents: dict[str, str]) -> list[str]:
    """The Nu HTML Checker's errors (as ``--errors-only`` reports them) for each document, named by its key."""
    url = _nu_service()
    errors = []
    for name, html in documents.items():
        request = urllib.request.Request(
            f"{url}?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            messages = json.load(response)["messages"]
        errors.extend(
            f"{name}:{m.get('lastLine', '?')}: {m.get('message')} [{m.get('extract', '').strip()}]"
            for m in messages
            if m.get("type") in ("error", "non-document-error")
        )
    return errors


def assert_valid_html(documents: dict[str, str]) -> None:
    """0 errors from the Nu HTML Checker in every document."""
    errors = nu_errors(documents)
    assert errors == [], "Nu HTML Checker errors:\n" + "\n".join(errors)


def assert_csp_enforced(page: Page) -> None:
    """The page was served with a Content-Security-Policy that refuses inline scripts."""
    response = page.request.get(page.url)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
