"""Under the Content-Security-Policy (no inline script) the page scripts still work in a real browser:
charts draw from their JSON blocks, confirm dialogs guard their forms, the month picker navigates."""
from playwright.sync_api import expect

from .test_journey_in_browser import live_server, log_in, page  # noqa: F401 (fixtures)


def test_charts_draw_and_confirm_dialogs_guard_forms(live_server, page):  # noqa: F811
    base = live_server
    log_in(page, base, "staff")
    expect(page.get_by_role("heading", name="发改委管理后台")).to_be_visible()

    page.goto(base + "/commission/statistics")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('funnelChart'))")
    page.goto(base + "/commission/indicators")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('balanceChart'))"
                           " && Chart.getChart(document.getElementById('flowChart'))")

    page.goto(base + "/commission/users")
    row = page.get_by_role("row").filter(has_text="banker")
    messages = []
    page.once("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    row.get_by_role("button", name="重置密码").click()
    expect(page.locator(".temporary-password")).to_have_count(0)
    assert messages == ["重置 banker 的密码？其所有登录将立即退出。"]
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="重置密码").click()
    expect(page.locator(".temporary-password")).to_be_visible()

    page.goto(base + "/commission/sharing?month=2026-10")
    page.locator("input[data-nav-month]").fill("2026-09")
    page.locator("input[data-nav-month]").dispatch_event("change")
    expect(page).to_have_url(base + "/commission/sharing?month=2026-09")
