"""The query editor in a real browser: Debian's headless Chromium, driven by Playwright,
against the real server (gunicorn) serving the real built dataset.

``make test`` installs chromium (apt) and YASGUI (npm). A missing chromium fails these tests
rather than skipping them; without npm the YASGUI test is skipped with its reason and the plain
form fallback is still tested.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
EXAMPLE = "03-table1-flows-2009-2014"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requested_hosts = set()
    page.on("request", lambda request: page.requested_hosts.add(urlsplit(request.url).netloc))
    yield page
    context.close()


@pytest.fixture(scope="module")
def server(start_module_server, built_dataset):
    return start_module_server(DATASET_DIR=str(built_dataset), WORKERS=2)


@pytest.fixture(scope="module")
def plain_server(start_module_server, built_dataset, tmp_path_factory):
    missing = tmp_path_factory.mktemp("no-yasgui") / "absent"
    return start_module_server(DATASET_DIR=str(built_dataset), WORKERS=1, YASGUI_DIR=str(missing))


def _yasgui_installed() -> bool:
    return (
        PROJECT_ROOT / "node_modules" / "@zazuko" / "yasgui" / "build" / "yasgui.min.js"
    ).is_file()


def test_yasgui_editor_runs_an_example_and_shows_the_table(page, server):
    if not _yasgui_installed():
        if shutil.which("npm"):
            pytest.fail("npm is available but YASGUI is not installed: run `make install`")
        pytest.skip("npm absent: YASGUI cannot be installed; the plain form is tested instead")
    page.goto(server.url + "sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.select_option("#example-select", EXAMPLE)
    assert "Table 1" in page.inner_text(".yasqe .CodeMirror")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr_results table tbody tr")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "editor-yasgui.png"), full_page=True)
    rows = page.locator(".yasr_results table tbody tr")
    assert rows.count() == 18
    assert "41511" in page.inner_text(".yasr_results table")
    assert "18 results" in page.inner_text(".yasr_response_chip")
    assert page.requested_hosts == {urlsplit(server.url).netloc}, "every asset served by us"


def test_plain_form_fallback_runs_a_query_and_shows_the_table(page, plain_server):
    page.goto(plain_server.url + "sparql")
    assert "npm" in page.inner_text(".note")
    page.select_option("#example-select", EXAMPLE)
    assert "Table 1" in page.input_value("#query")
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "editor-plain.png"), full_page=True)
    assert page.locator("#results-table tbody tr").count() == 18
    headers = page.locator("#results-table th").all_inner_texts()
    assert headers == ["year", "partner", "immigration", "emigration", "net"]
    assert page.requested_hosts == {urlsplit(plain_server.url).netloc}


def test_examples_page_links_run_each_query(page, server):
    page.goto(server.url + "sparql/examples")
    items = page.locator("li.example")
    assert items.count() >= 12
    page.locator(f"#example-{EXAMPLE} a", has_text="Results (table)").click()
    page.wait_for_selector("#results-table tbody tr")
    assert page.locator("#results-table tbody tr").count() == 18
