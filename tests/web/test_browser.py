"""The web pages in a real browser (Debian's Chromium, headless, driven by Playwright): an
operator sends a bad file and a good one; an auditor works a finding to a decision. Each
page is saved as a screenshot (FTZ_SCREENSHOTS, default var/screenshots)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.api.conftest import LOTS, PASSWORD, World
from tests.helpers import admission, serving, write_csv

SHOTS = Path(os.environ.get("FTZ_SCREENSHOTS", "var/screenshots"))
CHROMIUM = os.environ.get("FTZ_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[str]:
    with serving(world.app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    refused = []  # what the Content-Security-Policy blocked: every page works within it
    opened.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield opened
    context.close()
    assert refused == []


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def shot(page: Page, name: str, backend: str) -> None:
    """Save the page as a screenshot, and check it against WCAG 2.1 A and AA with axe-core."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-{backend}.png", full_page=True)
    page.evaluate(AXE.read_text())  # evaluated by the browser's debugger: the page's CSP refuses inline scripts
    violations = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}))
            .violations.map(v => `${v.id} (${v.nodes.length}): ${v.help} — ${v.nodes[0].target}`)"""
    )
    assert violations == [], f"{name}: {violations}"


def log_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("Account").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def backend(world: World) -> str:
    return world.engine.dialect.name


def test_an_operator_reads_the_row_errors_of_a_bad_file_then_sends_a_good_one(page: Page, world: World, tmp_path):
    log_in(page, "op.alpha")
    expect(page.get_by_role("heading", name="Uploads")).to_be_visible()
    shot(page, "operator-uploads", backend(world))
    bad = write_csv(tmp_path / "bad.csv", [admission("W1", lot="LOT-W"), admission("W2", lot="LOT-W", quantity="-5")])
    page.set_input_files("#file", str(bad))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("errors: nothing was stored")).to_be_visible()
    cells = page.locator("tbody tr").first.locator("td")
    # the file's second data row is line 3, counting the header
    expect(cells).to_have_text(["3", "quantity", "must be greater than 0 for ADMISSION"])
    shot(page, "operator-rejected-report", backend(world))
    page.goto("/uploads")
    good = write_csv(tmp_path / "good.csv", [admission("W1", lot="LOT-W", customs_ref="DEC-W")])
    page.set_input_files("#file", str(good))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("ACCEPTED")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("1 new")
    shot(page, "operator-accepted-report", backend(world))
    page.goto("/lots")
    expect(page.get_by_role("link", name="LOT-W", exact=True)).to_be_visible()
    expect(page.get_by_text("CHARLIE3")).to_have_count(0)
    shot(page, "operator-lots", backend(world))


def test_an_operator_answers_a_question_from_customs_with_a_document(page: Page, world: World, tmp_path):
    log_in(page, "op.alpha")
    page.get_by_role("link", name="Questions from customs").click()
    expect(page.locator("#rows tbody tr")).to_have_count(1)
    shot(page, "operator-questions", backend(world))
    page.locator("#rows tbody tr").first.get_by_role("link").first.click()
    note = tmp_path / "weighbridge.pdf"
    note.write_bytes(b"%PDF-1.4 weighbridge ticket")
    page.get_by_label("Explanation").fill("10 kg of moisture lost in storage; ticket attached")
    page.get_by_label("Supporting document (optional)").set_input_files(str(note))
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator("#flash")).to_contain_text("Answer sent to customs")
    expect(page.get_by_role("link", name="weighbridge.pdf")).to_be_visible()
    shot(page, "operator-answered", backend(world))


def test_an_auditor_filters_the_queue_opens_a_finding_and_decides_it(page: Page, world: World):
    log_in(page, "aud.a")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shot(page, "auditor-dashboard", backend(world))
    page.get_by_role("link", name="Queue").click()
    page.get_by_label("Operator").fill("ALPHA1")
    page.get_by_label("Kind").select_option("QUANTITY_MISMATCH")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(LOTS["ALPHA1"])
    shot(page, "auditor-queue", backend(world))
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
    expect(rows.first).to_be_visible()
    shot(page, "auditor-queue-tablet", backend(world))
    page.set_viewport_size({"width": 1280, "height": 900})
    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Quantities disagree")).to_be_visible()
    shot(page, "auditor-finding", backend(world))
    page.get_by_label("Status").select_option("ESCALATED")
    page.get_by_label("Reason (required)").fill("shortfall of 10 kg on a strategic lot")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#flash")).to_contain_text("Decision recorded: ESCALATED")
    expect(page.get_by_text("status ESCALATED")).to_be_visible()
    trail = page.locator("table").last
    expect(trail).to_contain_text("discrepancy.decided")
    expect(trail).to_contain_text("aud.a")
    shot(page, "auditor-decided", backend(world))
    page.get_by_role("link", name="Runs").click()
    expect(page.get_by_role("heading", name="Reconciliation runs")).to_be_visible()
    shot(page, "auditor-runs", backend(world))
    page.goto(f"/lots/ALPHA1/{LOTS['ALPHA1']}")
    expect(page.get_by_text("Book balance")).to_be_visible()
    shot(page, "auditor-lot", backend(world))
