"""The whole journey in a real browser (headless Chromium driven by Playwright): an SME publishes a need and
applies in one click, the bank accepts, grants and disburses, and the home page's 累计融资 moves."""
import os
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import sync_playwright
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
    assert page.locator("#totals").inner_text().count("万元") == 1

    log_in(page, base, "sme")
    assert "企业中心" in page.title()
    page.goto(f"{base}/enterprise/needs/new")
    page.get_by_label("融资金额（万元）").fill("120")
    page.get_by_label("期限（月）").fill("12")
    page.get_by_label("资金用途").fill("购置生产设备")
    page.get_by_role("button", name="保存").click()
    # The recommendations for the new need list the product; apply to it in one click.
    assert page.get_by_text("浏览器旅程信用贷").count() >= 1
    page.get_by_role("button", name="一键申请所选产品").click()
    assert page.get_by_label("申请金额（万元）").input_value() in ("120", "120.00")  # carried over from the need
    page.get_by_label("授权所选机构查看本企业数据至").fill(str(workdays.today() + timedelta(days=365)))
    page.get_by_label("我已阅读并签署上述信用承诺（主动承诺型）").check()
    page.get_by_label("我同意授权所选金融机构在上述期限内查看本企业的信用评分及数据").check()
    page.get_by_role("button", name="签署承诺并提交申请").click()
    assert page.get_by_text("已提交").count() >= 1
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
    assert page.get_by_text("90 万元").count() >= 1
    log_out(page)

    page.goto(base + "/")
    totals = page.locator("#totals").inner_text()
    assert "累计融资" in totals and "\n90\n" in totals


@pytest.fixture
def disputed_city(app, runner):
    """A seeded city scored by a model whose outcomes follow penalties; 'sme2' is a firm with one penalty."""
    from sqlalchemy import select

    from marketplace.models import Enterprise
    from marketplace.services import accounts

    from ..test_governance import counting_penalty, train_on_penalties
    from ..test_scoring import seed_city

    seed_city(runner)
    with app.app_context():
        as_of, single = train_on_penalties()
        uscc, penalty = next((u, p) for u in single if (p := counting_penalty(u, as_of)) is not None)
        firm_id = db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
        accounts.create_user(username="sme2", password=PASSWORD, role="enterprise", enterprise_id=firm_id)
        return penalty.document_no


def test_firm_disputes_a_record_staff_uphold_it_and_the_score_moves(disputed_city, live_server, page):
    from playwright.sync_api import expect

    base, document_no = live_server, disputed_city
    log_in(page, base, "sme2")
    page.goto(f"{base}/enterprise/credit")
    score_before = int(page.locator("#credit-score").inner_text())
    page.goto(f"{base}/enterprise/objections")
    record = page.get_by_label("有异议的记录")
    record.select_option(label=next(o for o in record.locator("option").all_inner_texts() if document_no in o))
    page.get_by_label("异议类型").select_option(label="超过公示期限")
    page.get_by_label("异议理由（正确的数值或情况）").fill("该处罚已超过公示期限，不应继续公示")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_text("异议已提交")).to_be_visible()
    page.goto(f"{base}/enterprise/credit")
    expect(page.locator("#records").get_by_text("异议处理中").first).to_be_visible()
    log_out(page)

    log_in(page, base, "staff")
    page.goto(f"{base}/commission/objections")
    page.locator("tr", has_text=document_no).get_by_role("link").first.click()
    page.get_by_label("撤下公示（该记录不再计入评分、名单和指标）").check()
    page.get_by_label("处理意见（将告知企业）").fill("经核实已超过公示期限，予以撤下")
    page.get_by_role("button", name="异议成立（已更正）").click()
    expect(page.get_by_text("已更新为：异议成立（已更正）")).to_be_visible()
    log_out(page)

    log_in(page, base, "sme2")
    page.goto(f"{base}/enterprise/credit")
    expect(page.locator("#credit-score")).not_to_have_text(str(score_before))
    assert int(page.locator("#credit-score").inner_text()) > score_before
    expect(page.locator("#records").get_by_text("异议处理中")).to_have_count(0)
    page.goto(f"{base}/enterprise/messages")
    expect(page.get_by_text("已撤下公示").first).to_be_visible()
