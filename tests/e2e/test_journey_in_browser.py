"""The whole journey in a real browser (headless Chromium driven by Playwright): an SME publishes a need and
applies in one click, the bank accepts, grants and disburses, and the home page's 累计融资 moves."""
import os
import re
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from marketplace.extensions import db
from marketplace.services import workdays

from ..conftest import PASSWORD, make_product

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(app, users):
    with app.app_context():
        from marketplace.models import Institution

        bank = db.session.scalar(db.select(Institution))
        make_product(bank, name="浏览器旅程信用贷", amount_min=100_000, amount_max=5_000_000)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        # .ci/run installs Debian's chromium and sets REQUIRE_BROWSER, so CI can never skip this test.
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        pytest.fail(message) if os.environ.get("REQUIRE_BROWSER") else pytest.skip(message)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser.new_page(locale="zh-CN")
        browser.close()


def log_in(page, base, username):
    page.goto(f"{base}/auth/login")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def log_out(page):
    page.get_by_role("button", name="退出").click()


def test_need_to_disbursement_moves_home_page_total(live_server, page):
    base = live_server
    page.goto(base + "/")
    financing = page.locator("#totals .card", has_text="累计融资").locator(".fs-3")
    expect(page.locator("#totals")).to_contain_text("万元")
    expect(financing).to_have_text("0")

    log_in(page, base, "sme")
    expect(page).to_have_title(re.compile("企业中心"))
    page.goto(f"{base}/enterprise/needs/new")
    page.get_by_label("融资金额（万元）").fill("120")
    page.get_by_label("期限（月）").fill("12")
    page.get_by_label("资金用途").fill("购置生产设备")
    page.get_by_role("button", name="保存").click()
    # The recommendations for the new need list the product; apply to it in one click.
    expect(page.get_by_text("浏览器旅程信用贷").first).to_be_visible()
    page.get_by_role("button", name="一键申请所选产品").click()
    expect(page.get_by_label("申请金额（万元）")).to_have_value(re.compile(r"^120(\.00)?$"))  # carried over from the need
    page.get_by_label("授权所选机构查看本企业数据至").fill(str(workdays.today() + timedelta(days=365)))
    page.get_by_label("我已阅读并签署上述信用承诺（主动承诺型）").check()
    page.get_by_label("我同意授权所选金融机构在上述期限内查看本企业的信用评分及数据").check()
    page.get_by_role("button", name="签署承诺并提交申请").click()
    expect(page.get_by_text("已提交").first).to_be_visible()
    log_out(page)

    log_in(page, base, "banker")
    page.goto(f"{base}/bank/applications")
    page.locator("tr", has_text="浏览器旅程信用贷").get_by_role("link").first.click()
    card = lambda title: page.locator(".card", has=page.get_by_role("heading", name=title))  # noqa: E731
    card("受理申请").get_by_role("button", name="确定").click()
    grant = card("授信")
    grant.get_by_label("授信金额（万元）").fill("100")
    grant.get_by_label("年利率（%）").fill("3.95")
    grant.get_by_label("授信期限（月）").fill("12")
    grant.get_by_role("button", name="确定").click()
    disburse = card("登记放款")
    disburse.get_by_label("金额（万元）").fill("90")
    disburse.get_by_role("button", name="确定").click()
    expect(page.get_by_text("90 万元").first).to_be_visible()
    log_out(page)

    page.goto(base + "/")
    expect(financing).to_have_text("90")
