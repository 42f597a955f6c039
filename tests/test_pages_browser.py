"""Entity pages in a real browser: Debian's headless Chromium driven by Playwright against a
gunicorn server. The country profile and an indicator page render with their chart (screenshots
kept in ``test-artifacts/``); a page whose labels try to inject script runs nothing; pages
render with JavaScript turned off; no request leaves the loopback host."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from kgsupport import built_dataset_dir, hostile_dataset

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _page(browser, javascript: bool = True):
    context = browser.new_context(
        viewport={"width": 1300, "height": 1000}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.hosts = set()
    page.dialogs = []
    page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return context, page


@pytest.fixture(scope="module")
def server(start_module_server):
    return start_module_server(DATASET_DIR=str(built_dataset_dir()), WORKERS=1)


@pytest.fixture(scope="module")
def hostile_server(start_module_server, tmp_path_factory):
    folder = hostile_dataset(tmp_path_factory.mktemp("hostile") / "dataset")
    return start_module_server(DATASET_DIR=str(folder), WORKERS=1)


def test_country_profile_renders_general_information(browser, server):
    context, page = _page(browser)
    try:
        page.goto(server.url + "id/area/kz")
        table = page.locator("#general-information-table")
        assert table.is_visible()
        text = table.inner_text()
        assert "20 592 571" in text and "20 243 981" in text
        assert "World Bank" in text and "STAT KZ" in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pages-country-kz.png"), full_page=False)
        assert page.hosts == {urlsplit(server.url).netloc}
    finally:
        context.close()


def test_indicator_page_renders_its_chart_one_series_per_source(browser, server):
    context, page = _page(browser)
    try:
        page.goto(server.url + "id/indicator/refugees")
        chart = page.locator("svg.chart").first
        chart.wait_for()
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150
        series = chart.locator("g.series")
        names = {series.nth(i).get_attribute("data-series") for i in range(series.count())}
        assert {"UNHCR", "CIS"} <= names
        chart.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pages-indicator-refugees.png"), full_page=False)
        page.locator("svg.chart g.series a").first.click()
        page.wait_for_url("**/id/observation/**")
        assert page.locator("#provenance").is_visible()
    finally:
        context.close()


def test_pages_render_without_javascript(browser, server):
    context, page = _page(browser, javascript=False)
    try:
        page.goto(server.url + "id/authority/committee-of-migration-service")
        assert "Committee of migration service" in page.locator("#label").inner_text()
        page.fill("form[role=search] input[name=q]", "STAT KZ")
        page.press("form[role=search] input[name=q]", "Enter")
        page.wait_for_url("**/search?q=STAT+KZ")
        assert page.locator("#results a").count() >= 2
    finally:
        context.close()


@pytest.mark.parametrize(
    "path",
    ["id/authority/hostile", "id/observation/hostile-1", "id/indicator/hostile", "id/area/hx", ""],
)
def test_hostile_labels_execute_nothing(browser, hostile_server, path):
    context, page = _page(browser)
    try:
        page.goto(hostile_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.dialogs == []
        assert page.locator("img").count() == 0
        if path == "id/authority/hostile":
            assert "<script>window.pwned=1</script>" in page.locator("#label").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "pages-hostile-labels.png"))
        assert page.hosts == {urlsplit(hostile_server.url).netloc}
    finally:
        context.close()
