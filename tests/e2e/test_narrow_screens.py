"""Phones: every page of each role, opened in Chromium 390 px wide, is no wider than the screen (tables scroll
inside their own box); keyboard users get a skip link and a visible focus ring; the favicon is served."""
import re

import pytest
from playwright.sync_api import expect

from seed.accounts import DEMO_PASSWORD

from .. import demo_city
from ..test_every_page import ROLE_PREFIX, urls_for
from .conftest import chromium, serving

USERS = {"enterprise": "sme_demo", "bank": "bank_demo", "commission": "admin_demo"}


@pytest.fixture(scope="module")
def demo_server(module_app):
    """The demo city is built once for this module's walks: they only read it."""
    with module_app.app_context():
        demo_city.build(module_app.test_cli_runner())
        urls = {role: urls_for(module_app, role, demo_city.url_arguments(role), html_only=True)
                for role in ROLE_PREFIX}
    with serving(module_app) as base:
        yield base, urls


@pytest.fixture
def phone():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        yield context.new_page()


def _log_in(page, base, username):
    page.goto(f"{base}/auth/login")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_no_page_is_wider_than_a_390px_phone(demo_server, phone):
    base, urls = demo_server
    too_wide = []
    for public in ("/", "/products", "/auth/login", "/auth/register"):
        phone.goto(base + public, wait_until="load")
        width, viewport = phone.evaluate(WIDTH)
        if width > viewport:
            too_wide.append(f"anonymous {public}: {width}px")
    for role, username in USERS.items():
        _log_in(phone, base, username)
        for url in urls[role]:
            phone.goto(base + url, wait_until="load")
            expect(phone.locator("footer")).to_be_visible()
            width, viewport = phone.evaluate(WIDTH)
            assert viewport == 390
            if width > viewport:
                too_wide.append(f"{role} {url}: {width}px")
        phone.context.clear_cookies()
    assert len(urls["bank"]) > 10 and len(urls["commission"]) > 10
    assert not too_wide, "pages wider than the phone:\n" + "\n".join(too_wide)


def test_skip_link_focus_ring_and_favicon(demo_server, phone):
    base, _ = demo_server
    phone.goto(base + "/products", wait_until="load")
    phone.keyboard.press("Tab")
    skip = phone.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    phone.keyboard.press("Enter")
    expect(phone.locator("main")).to_be_focused()
    phone.set_viewport_size({"width": 1366, "height": 800})
    phone.locator(".navbar .nav-link").first.focus()
    outline = phone.locator(".navbar .nav-link").first.evaluate(
        "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert outline[0] == "solid" and outline[1] == "3px"
    icon = phone.locator('link[rel="icon"]').get_attribute("href")
    assert phone.request.get(base + icon).status == 200


def test_the_navbar_fits_a_laptop_screen(demo_server, phone):
    """Above 1200 px the navbar is expanded: a bank's or the commission's links and the account name fit
    1280 and 1366 px laptops (they wrap to a second row rather than widen the page)."""
    base, urls = demo_server
    too_wide = []
    for width in (1280, 1366):
        phone.set_viewport_size({"width": width, "height": 800})
        for role, username in USERS.items():
            _log_in(phone, base, username)
            for url in urls[role][:3]:
                phone.goto(base + url, wait_until="load")
                expect(phone.locator(".navbar-collapse")).to_be_visible()
                scroll, viewport = phone.evaluate(WIDTH)
                if scroll > viewport:
                    too_wide.append(f"{width}px {role} {url}: {scroll}px")
            phone.context.clear_cookies()
    assert not too_wide, "pages wider than a laptop screen:\n" + "\n".join(too_wide)
