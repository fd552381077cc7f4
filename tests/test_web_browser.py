"""End to end in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Sign in, open the shipped india-pauses-toyotsu, change the approval share in the form, run it on
a one-year horizon with the baseline, see the comparison chart, download the report. The service
runs in a thread with one real worker process. Screenshots go to tests/artifacts/ (ignored by git
through the .gitignore the test writes there).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rareflow.web.app import create_app
from test_web_fixtures import PASSWORD, SCENARIOS

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("RAREFLOW_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PATIENCE_MS = 180_000  # a bound for two one-year solves on a slow machine, not a timing claim


def _need_browser() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    import uvicorn

    app = create_app(
        f"sqlite:///{tmp_path / 'service.db'}",
        workers=1,
        runs_dir=tmp_path / "runs",
        scenarios_dir=SCENARIOS,
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


def _other_levers(page: Page) -> None:
    """Outage, demand and tariff levers: each writes its event into the YAML, which stays valid
    (the run that follows solves with them)."""
    from playwright.sync_api import expect

    page.locator("#f-out-region").select_option("CHN")
    page.locator("#f-out-stage").select_option("separation")
    page.locator("#f-out-share").fill("0.5")
    page.locator("#f-out-start").fill("2025-03")
    page.locator("#f-dem-region").select_option("USA")
    page.locator("#f-dem-sector").select_option("ev_traction")
    page.locator("#f-dem-change").fill("-0.3")
    page.locator("#f-dem-start").fill("2025-01")
    page.locator("#f-tar-importer").select_option("USA")
    page.locator("#f-tar-origins").fill("CHN")
    page.locator("#f-tar-materials").fill("magnet:*")
    page.locator("#f-tar-rate").fill("1.45")
    yaml = page.locator("#yaml")
    for written in ("type: outage", "stage: separation", "factor: 0.7", "rate: 1.45"):
        expect(yaml).to_have_value(re.compile(re.escape(written)))
    expect(page.locator("#validation")).to_contain_text("valid:")


def test_dashboard_end_to_end(server: str, tmp_path: Path) -> None:
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            # the Content-Security-Policy must not block anything the dashboard needs
            blocked: list[str] = []
            page.on(
                "console",
                lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
            )
            # a new user: the sign-in page offers an account
            page.goto(f"{server}/")
            expect(page).to_have_url(f"{server}/login")
            signup = page.locator("#signup-form")
            signup.locator("input[name=username]").fill("erin")
            # a refused sign-up says why under the sign-up form and keeps the name typed
            signup.locator("input[name=password]").fill("password")
            signup.locator("button").click()
            expect(page.locator("#signup-form + #signup-error")).to_contain_text("common")
            expect(page.locator("#login-error")).to_have_count(0)
            expect(signup.locator("input[name=username]")).to_have_value("erin")
            signup.locator("input[name=password]").fill(PASSWORD)
            signup.locator("button").click()
            expect(page.locator("#scenario-list")).to_contain_text("india-pauses-toyotsu")
            page.screenshot(path=str(ARTIFACTS / "01-scenarios.png"), full_page=True)

            page.locator("#scenario-list a", has_text="india-pauses-toyotsu").click()
            expect(page.locator("#editor")).to_have_attribute("data-ready", "true")
            expect(page.locator("#validation")).to_contain_text("valid: india-pauses-toyotsu")
            expect(page.locator("#f-approval")).to_have_value("0.4")
            expect(page.locator("#delete")).to_be_hidden()  # a shipped example is read-only
            page.locator("#f-approval").fill("0.7")
            expect(page.locator("#yaml")).to_have_value(re.compile(r"approval_share: 0\.7"))
            expect(page.locator("#validation")).to_contain_text("valid:")
            # a mistake typed in the YAML shows the CLI's message, line included
            good = page.locator("#yaml").input_value()
            page.locator("#yaml").fill(good.replace("approval_share: 0.7", "approval_share: 7"))
            expect(page.locator("#validation")).to_contain_text(
                "events[1].approval_share: expected a number between 0 and 1, got 7"
            )
            expect(page.locator("#gutter span.bad")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "02-validation-message.png"), full_page=True)
            page.locator("#yaml").fill(good)
            expect(page.locator("#validation")).to_contain_text("valid:")
            _other_levers(page)

            page.locator("#h-start").fill("2025-01")
            page.locator("#h-end").fill("2025-12")
            page.locator("#h-step").select_option("year")
            page.screenshot(path=str(ARTIFACTS / "03-editor.png"), full_page=True)
            page.locator("#run").click()

            expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
            expect(page.locator("#run-status")).to_have_text("done", timeout=PATIENCE_MS)
            expect(page.locator("#run")).to_have_attribute(
                "data-charts", "ready", timeout=PATIENCE_MS
            )
            chart = page.locator("#chart-unserved")
            expect(chart.locator(".main-svg").first).to_be_visible()
            expect(chart.locator(".legendtext", has_text="baseline")).to_have_count(1)
            expect(page.locator("#cancel")).to_be_hidden()  # nothing left to cancel
            page.screenshot(path=str(ARTIFACTS / "04-comparison.png"), full_page=True)

            with page.expect_download() as info:
                page.locator("#download-report").click()
            report = tmp_path / "report.html"
            info.value.save_as(report)
            text = report.read_text(encoding="utf-8")
            assert "india-pauses-toyotsu" in text and "<html" in text
            shutil.copyfile(report, ARTIFACTS / "report.html")
            assert blocked == [], blocked

            # the downloaded report opens offline in the browser (no network needed)
            offline = browser.new_context(offline=True).new_page()
            offline.goto(report.as_uri())
            expect(offline.locator(".main-svg").first).to_be_visible()
            # the trade map's base map is inline: the land is drawn without a network
            expect(offline.locator("#trade-map .layer.land path")).to_have_count(1)
            offline.screenshot(path=str(ARTIFACTS / "05-report-offline.png"), full_page=True)

            # the copy the run kept is erin's own: it may be deleted
            page.goto(f"{server}/")
            page.locator("#scenario-list tr", has_text="erin").locator("a").first.click()
            expect(page.locator("#editor")).to_have_attribute("data-ready", "true")
            expect(page.locator("#delete")).to_be_visible()
            # and its YAML fills the new levers back into the form
            expect(page.locator("#f-out-stage")).to_have_value("separation")
            expect(page.locator("#f-dem-change")).to_have_value("-0.3")
            expect(page.locator("#f-tar-rate")).to_have_value("1.45")
        finally:
            browser.close()
