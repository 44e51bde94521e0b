"""A real headless Chromium (Debian's, driven by Playwright) against `atrisk serve` on
loopback: the map draws its countries in colour, search filters the table, a click on the
map opens the country's page with its charts, and no request leaves the machine. Screenshots
of every page go to build/screenshots/."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import uvicorn
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from atrisk.app import create_app
from atrisk.settings import Settings
from atrisk.store import accounts
from atrisk.store.db import session

SCREENSHOTS = Path(__file__).parents[1] / "build" / "screenshots"
PASSWORD = "a long enough password"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


def _chromium() -> str:
    path = os.environ.get("ATRISK_TEST_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).is_file():
        if os.environ.get("CI"):
            pytest.fail("CI must install Chromium (.ci/chromium.sh)")
        pytest.skip("no Chromium here: apt-get install chromium, or set ATRISK_TEST_CHROMIUM")
    return path


@pytest.fixture(scope="module")
def server(publish_to, events_built: Settings, tmp_path_factory) -> Iterator[str]:
    built = events_built  # the data build, with the event tables and signals
    tmp = tmp_path_factory.mktemp("serve")
    url = publish_to(f"sqlite:///{tmp / 'atrisk.db'}")
    with session(url) as s:
        accounts.add_user(s, "analyst@example.org", PASSWORD, "analyst", "Ana")
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=url)
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    _SETTINGS[f"http://127.0.0.1:{port}"] = settings
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


_SETTINGS: dict[str, Settings] = {}


def server_settings(base: str) -> Settings:
    return _SETTINGS[base]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=executable, args=FLAGS)
        yield chrome
        chrome.close()


def test_overview_map_draws_and_nothing_leaves_localhost(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or ""))
    page.goto(server + "/")
    page.wait_for_selector("#map svg path", timeout=30_000)
    page.wait_for_timeout(500)
    fills = page.eval_on_selector_all(
        "#map svg path", "els => els.map(e => getComputedStyle(e).fill || e.getAttribute('fill'))")
    grey = {"rgb(229, 229, 229)", "#e5e5e5"}
    coloured = [f for f in fills if f and f not in grey and f != "none"]
    assert len(coloured) >= 150, len(coloured)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    assert hosts == {"127.0.0.1"}, hosts
    page.close()


def test_search_filters_the_table(server: str, browser) -> None:
    page = browser.new_page()
    page.goto(server + "/")
    page.fill("#search", "sudan")
    visible = page.eval_on_selector_all(
        "#ranking tbody tr", "rows => rows.filter(r => !r.hidden).length")
    assert visible == 2  # Sudan and South Sudan
    page.fill("#search", "")
    page.select_option("#region", "Europe and Eurasia")
    shown = page.eval_on_selector_all(
        "#ranking tbody tr", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.region)")
    assert len(shown) > 30 and set(shown) == {"Europe and Eurasia"}
    page.select_option("#region", "")
    page.select_option("#sort", "top10")  # the surest top-10 places first
    chances = page.eval_on_selector_all(
        "#ranking tbody tr", "rows => rows.map(r => Number(r.dataset.top10))")
    assert chances == sorted(chances, reverse=True) and chances[0] > chances[-1]
    page.select_option("#sort", "rank")
    ranks = page.eval_on_selector_all(
        "#ranking tbody tr", "rows => rows.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks)
    page.keyboard.press("Tab")  # the page is usable by keyboard: focus moves on
    page.close()


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_clicking_the_map_opens_the_country_page(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or ""))
    page.goto(server + "/")
    page.wait_for_selector("#map svg path", timeout=30_000)
    # The coloured layer's shapes, largest first: a click at the centre of a large country
    # lands on a country (possibly a neighbour); every coloured country links to its page.
    page.wait_for_timeout(500)
    shapes = page.locator("#map svg path")
    coloured = page.eval_on_selector_all(
        "#map svg path", "els => els.map((e, i) => [getComputedStyle(e).fill, i])"
        ".filter(([f]) => f && f !== 'rgb(229, 229, 229)' && f !== 'none').map(([, i]) => i)")
    boxes = sorted(((b["width"] * b["height"], i) for i in coloured
                    if (b := shapes.nth(i).bounding_box())), reverse=True)
    assert len(boxes) >= 150
    for _, i in boxes[:8]:
        shapes.nth(i).click(force=True)
        try:
            page.wait_for_url(re.compile(r"/countries/"), timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    assert re.search(r"/countries/[A-Z]{3}$", page.url), page.url
    for chart in ("#chart-history", "#chart-fan"):
        page.wait_for_selector(f"{chart} svg path", timeout=30_000)
    assert page.locator("h2", has_text="Past episodes of mass killing").count() == 1
    _shoot(page, "country-from-map")
    assert hosts == {"127.0.0.1"}, hosts
    page.close()


def test_the_watch_page_shows_iran_with_its_days_and_news(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/watch")
    assert "2025-06-14" in page.locator("main p").first.inner_text()
    row = page.locator('#watch-table tr[data-iso3="IRN"]')
    assert row.count() == 1 and "high" in row.inner_text()
    page.wait_for_selector("#w-IRN .chart svg path", timeout=30_000)
    links = page.locator("#w-IRN a[rel~=noopener]")
    assert links.count() >= 1 and links.first.get_attribute("href").startswith("http")
    assert "Tehran" in page.locator("#w-IRN ul").inner_text()  # a region's own signal
    coded = page.locator("#w-IRN table.coded").inner_text()  # what UCDP's coders confirmed
    assert "UCDP Candidate events" in coded and "state based" in coded
    _shoot(page, "watch")
    page.goto(server + "/countries/IRN")
    watch = page.locator("#watch")
    assert "gdelt_violent_share" in watch.inner_text() and "high" in watch.inner_text()
    watch.locator("a", has_text="The days and the news behind it").click()
    page.wait_for_url(re.compile(r"/watch#w-IRN$"))
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("path,chart", [("/countries/SDN", "#chart-drivers"),
                                        ("/track-record", "#chart-roc"),
                                        ("/methods", None)])
def test_every_page_draws(server: str, browser, path: str, chart: str | None) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + path)
    if chart:
        page.wait_for_selector(f"{chart} svg path", timeout=30_000)
        page.wait_for_timeout(300)
    assert not errors, errors
    _shoot(page, path.strip("/").replace("/", "-"))
    page.close()


def test_login_works_by_keyboard(server: str, browser) -> None:
    page = browser.new_page()
    page.goto(server + "/countries/SDN")
    page.click("text=Log in")
    page.fill("#email", "analyst@example.org")
    page.fill("#password", "not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Wrong e-mail or password")
    page.fill("#email", "analyst@example.org")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("button:has-text('Log out')")
    assert page.locator("header").inner_text().count("Ana") == 1
    page.goto(server + "/account")
    page.fill("#token-name", "browser test")
    page.click("text=Create a token")
    assert page.locator("#new-token").inner_text().startswith("atr_")
    _shoot(page, "account")
    page.click("button:has-text('Log out')")
    page.wait_for_selector("text=Log in")
    page.close()


def test_an_analyst_walks_from_warning_to_action(server: str, browser, tmp_path) -> None:
    """Log in, assess a risk factor, build a plan from the suggestions, receive an alert,
    download the brief; a screenshot of each step."""
    from atrisk.panels.build import read_table
    from atrisk.response.alerts import run_after_forecast

    page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or ""))
    page.goto(server + "/login?next=/countries/SDN")
    page.fill("#email", "analyst@example.org")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/countries/SDN$"))
    # 1. assess a risk factor
    page.select_option("#a-factor", "5")
    page.select_option("#a-level", "3")
    page.select_option("#a-trend", "worsening")
    page.fill("#a-evidence", "Weapons flowing to both sides (walk-through).")
    page.fill("#a-source-url", "https://www.un.org/securitycouncil/")
    page.click("text=Save assessment")
    row = page.locator('tr[data-factor="5"]')
    assert "severe" in row.inner_text() and "worsening" in row.inner_text()
    _shoot(page, "walk-1-assessment")
    # 2. build a plan from the suggestions
    page.click("text=Prevention plan and suggested tools")
    page.fill("#plan-title", "Protect civilians in Darfur")
    page.click("#start-plan button")
    first = page.locator("#suggestions > li").first
    tool = first.get_attribute("data-tool")
    first.locator("summary", has_text="Add to plan").click()
    first.locator("input[name=owner]").fill("Special envoy")
    first.locator("input[name=due]").fill("2027-03-31")
    first.locator("button", has_text="Add to plan").click()
    action = page.locator("tr[data-action]").first
    assert "Special envoy" in action.inner_text()
    assert tool and page.locator(f'#suggestions li[data-tool="{tool}"]').count() == 1
    _shoot(page, "walk-2-plan")
    # 3. a rule, a forecast run, an alert
    page.goto(server + "/alerts")
    page.fill("#r-name", "Sudan above 2%")
    page.select_option("#r-kind", "risk_threshold")
    page.fill("#r-threshold", "0.02")
    page.fill("#r-iso3", "SDN")
    page.click("#rule-form button")
    settings = server_settings(server)
    assert run_after_forecast(settings, read_table(settings, "country_month")) == 1
    page.reload()
    alert = page.locator("#alerts tr.open")
    assert alert.count() == 1 and "2-year risk" in alert.inner_text()
    _shoot(page, "walk-3-alert")
    alert.locator("button", has_text="Acknowledge").click()
    assert page.locator("#alerts tr.done").count() == 1
    # 4. the brief
    page.goto(server + "/countries/SDN")
    with page.expect_download() as download:
        page.click("#brief-pdf")
    saved = tmp_path / "brief.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF") and saved.stat().st_size > 10_000
    _shoot(page, "walk-4-country")
    assert hosts == {"127.0.0.1"}, hosts
    page.close()


def test_from_the_priorities_to_a_what_if_saved_to_the_plan(server: str, browser) -> None:
    """An analyst opens the priorities, goes from the country with the most lives at stake to
    its what-if page, asks a question of the model and saves the answer to the plan."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(server + "/login?next=/priorities")
    page.fill("#email", "analyst@example.org")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/priorities$"))
    first = page.locator("#priorities tbody tr").first
    iso3 = first.get_attribute("data-iso3")
    assert iso3 and "civilian deaths" in page.locator("#priorities thead").inner_text().lower()
    _shoot(page, "priorities")
    page.goto(f"{server}/countries/{iso3}/plan")
    if page.locator("#plan-title").count():
        page.fill("#plan-title", "Prevent the next wave")
        page.click("#start-plan button")
    page.goto(server + "/priorities")
    page.locator(f'#priorities tr[data-iso3="{iso3}"] a.what-if').click()
    page.wait_for_url(re.compile(rf"/countries/{iso3}/what-if"))
    page.select_option("#w-feature", "mk_ongoing_count_log2")
    page.fill("#w-value", "0")
    page.click("#what-if-form button")
    answer = page.locator("#what-if-result").inner_text()
    assert answer.startswith("Answer") and "If ongoing mass killings" in answer
    _shoot(page, "what-if")
    page.click("#save-scenario button")
    page.wait_for_url(re.compile(rf"/countries/{iso3}/plan"))
    assert "Scenario (run" in page.content()
    page.close()
