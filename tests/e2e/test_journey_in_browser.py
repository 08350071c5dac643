"""The whole journey in a real browser (headless Chromium driven by Playwright): a firm registers and waits
for 实名核验, staff approve it, it publishes a need and applies in one click choosing what each bank may see,
the bank accepts and grants (a rate outside the product's range refused), the firm confirms the offer, the
bank disburses, both see the 还款计划, and the home page's 累计融资 moves."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.services import workdays

from ..conftest import PASSWORD, USCC_B, make_product
from .conftest import chromium, serving

REGISTRY_NAME = "济南泉城精密机械有限公司"


@pytest.fixture
def live_server(app, users):
    with app.app_context():
        from marketplace.models import Institution

        from ..test_identity_and_consent import _registry

        bank = db.session.scalar(db.select(Institution))
        make_product(bank, name="浏览器旅程信用贷", amount_min=100_000, amount_max=5_000_000)
        _registry(uscc=USCC_B, name=REGISTRY_NAME, legal="王建国")
    with serving(app) as base:
        yield base


@pytest.fixture
def page():
    with chromium() as browser:
        page = browser.new_page(locale="zh-CN")
        # The Content-Security-Policy forbids inline script: a template that slips one in shows up here.
        blocked = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        yield page
        assert blocked == [], f"CSP violations in the browser console: {blocked}"


def log_in(page, base, username):
    page.goto(f"{base}/auth/login")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def log_out(page):
    page.get_by_role("button", name="退出").click()


def test_verified_firm_applies_confirms_the_offer_and_both_sides_see_the_schedule(live_server, page):
    base = live_server
    page.goto(base + "/")
    financing = page.locator("#totals .card", has_text="累计融资").locator(".fs-3")
    expect(page.locator("#totals")).to_contain_text("万元")
    expect(financing).to_have_text("0")

    # 实名核验: a registration whose legal representative differs from the registry waits for staff.
    page.goto(f"{base}/auth/register")
    page.get_by_label("统一社会信用代码").fill(USCC_B)
    page.get_by_label("企业名称").fill(REGISTRY_NAME)
    page.get_by_label("法定代表人").fill("王小明")
    page.get_by_label("行业门类（GB/T 4754-2017）").select_option(label="C 制造业")
    page.get_by_label("企业规模").select_option(label="小型")
    page.get_by_label("登录名").fill("newfirm")
    page.get_by_label("密码（至少10位，不能是常见密码，也不能包含您的账号）").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册并入驻").click()
    expect(page.get_by_role("heading", name="实名核验")).to_be_visible()
    expect(page.get_by_text("法定代表人与登记信息不一致")).to_be_visible()
    page.goto(f"{base}/enterprise/credit")
    expect(page.get_by_text("本账号尚未通过实名核验")).to_be_visible()
    log_out(page)

    log_in(page, base, "staff")
    page.goto(f"{base}/commission/identity")
    row = page.locator("#queue tbody tr").first
    expect(row).to_contain_text(REGISTRY_NAME)
    row.get_by_label("核验意见").fill("已查验营业执照原件，法定代表人已于上月变更")
    row.get_by_role("button", name="核验通过").click()
    expect(page.get_by_text("已核验通过，已通知企业")).to_be_visible()
    log_out(page)

    log_in(page, base, "newfirm")
    expect(page.get_by_role("heading", name="企业中心")).to_be_visible()
    page.goto(f"{base}/enterprise/needs/new")
    page.get_by_label("融资金额（万元）").fill("120")
    page.get_by_label("期限（月）").fill("12")
    page.get_by_label("资金用途").fill("购置生产设备")
    page.get_by_role("button", name="保存").click()
    product = page.get_by_label("1. 浏览器旅程信用贷", exact=False)
    expect(product).not_to_be_checked()  # nothing pre-ticked
    product.check()
    page.get_by_role("button", name="一键申请所选产品").click()
    expect(page.get_by_label("申请金额（万元）")).to_have_value(re.compile(r"^120(\.00)?$"))  # carried over from the need
    expect(page.locator("#authorization-plan")).to_contain_text("尚未授权")
    page.get_by_label("企业基本信息").check()
    page.get_by_label("信用评分、等级及原因").check()
    page.get_by_label("授权截止日期（最长三年）").fill(str(workdays.today() + timedelta(days=365)))
    page.get_by_label("我已阅读并签署上述信用承诺（主动承诺型）").check()
    page.get_by_label("我同意按上表授权所列金融机构查看本企业数据").check()
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
    grant.get_by_label("年利率（%）").fill("15")
    grant.get_by_label("授信期限（月）").fill("12")
    grant.get_by_role("button", name="确定").click()
    expect(page.get_by_text("年利率应在产品利率范围内（3.45%–5.50%）")).to_be_visible()
    grant = card("授信")
    grant.get_by_label("授信金额（万元）").fill("100")
    grant.get_by_label("年利率（%）").fill("3.95")
    grant.get_by_label("授信期限（月）").fill("12")
    grant.get_by_role("button", name="确定").click()
    expect(page.get_by_text("等待企业确认，确认后方可放款")).to_be_visible()
    expect(card("登记放款")).to_have_count(0)
    application_url = page.url
    log_out(page)

    log_in(page, base, "newfirm")
    page.goto(f"{base}/enterprise/applications")
    page.locator("tr", has_text="浏览器旅程信用贷").get_by_role("link").first.click()
    offer = page.locator("#grant-offer")
    expect(offer).to_contain_text("100 万元")
    expect(offer).to_contain_text("等额本息")
    offer.get_by_role("button", name="确认接受授信").click()
    expect(page.get_by_text("已确认接受授信，等待银行放款。")).to_be_visible()
    firm_application_url = page.url
    log_out(page)

    log_in(page, base, "banker")
    page.goto(application_url)
    disburse = card("登记放款")
    disburse.get_by_label("金额（万元）").fill("90")
    disburse.get_by_role("button", name="确定").click()
    schedule = page.locator("#repayment-schedule")
    expect(schedule).to_contain_text("下一期：第 1 期")
    expect(schedule.locator("tbody tr")).to_have_count(12)
    log_out(page)

    log_in(page, base, "newfirm")
    page.goto(firm_application_url)
    expect(page.locator("#repayment-schedule")).to_contain_text("下一期：第 1 期")
    expect(page.locator("#repayment-schedule")).to_contain_text("尚欠本息")
    log_out(page)

    page.goto(base + "/")
    expect(financing).to_have_text("90")


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
