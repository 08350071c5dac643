"""A refused form keeps what the user typed: the page comes back (422) with each message beside the field it
concerns, never as a flash over an emptied form. One-button actions (no fields) and lost races stay a flash."""
import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    CompensationClaim,
    CreditCommitment,
    IdentityCheck,
    Institution,
    Objection,
    OffPlatformLoan,
)
from marketplace.services import compensation, objections, off_platform, workdays
from marketplace.services.applications import Actor

from .conftest import USCC_A, make_product
from .test_governance import _disburse_and_default, add_penalty


def _field_error(html: str, name: str, message: str) -> bool:
    """The message follows the field named `name` before the form ends (it is shown beside that field)."""
    at = html.find(f'name="{name}"')
    return at >= 0 and message in html[at:html.find("</form>", at)]


def test_objection_decision_keeps_the_corrected_values_outcome_and_resolution(client, auth, users, app):
    with app.app_context():
        p = add_penalty()
        o = objections.raise_objection(1, record_source="penalties", record_id=p.id, kind="error",
                                       description="罚款金额有误", actor_id=None)
        o_id = o.id
    auth.login(users["commission"])
    page = f"/commission/objections/{o_id}"
    r = client.submit(page, {"to_status": "upheld", "outcome": "corrected", "new_fine": "三万",
                             "resolution": "经核实罚款金额应为3万元", "version": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "应为整数" in html[html.index("异议成立时的处理"):html.index('name="new_fine"')]
    assert re.search(r'name="new_fine"[^>]*value="三万"', html), "the corrected value typed is kept"
    assert re.search(r'value="corrected" checked', html), "the outcome chosen is kept"
    assert "经核实罚款金额应为3万元</textarea>" in html
    # without an outcome: the message stands by the outcome choice, the resolution still kept
    r = client.submit(page, {"to_status": "upheld", "new_fine": "30000", "resolution": "经核实", "version": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="outcome-error"' in html and "请选择处理方式" in html
    assert "经核实</textarea>" in html
    with app.app_context():
        assert db.session.get(Objection, o_id).status == "submitted", "nothing was saved"


def test_broken_commitment_keeps_date_and_evidence(client, auth, users, app):
    with app.app_context():
        db.session.add(CreditCommitment(enterprise_id=1, kind="approval", text="承诺", purpose="事项"))
        db.session.commit()
        c_id = db.session.scalar(select(CreditCommitment.id))
    auth.login(users["commission"])
    firm_page, url = "/commission/firms/1", f"/commission/commitments/{c_id}/broken"
    r = client.submit(url, {"on": "", "evidence": "未按承诺补交环评材料"}, page=firm_page)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f'<details open id="broken-{c_id}">' in html
    assert _field_error(html, "on", "请填写违诺日期") and "未按承诺补交环评材料</textarea>" in html
    future = (workdays.today() + timedelta(days=3)).isoformat()
    r = client.submit(url, {"on": future, "evidence": "未按承诺补交环评材料"}, page=firm_page)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f'value="{future}"' in html
    assert _field_error(html, "on", "违诺日期应在签署日期与今天之间") and "未按承诺补交环评材料</textarea>" in html
    with app.app_context():
        assert db.session.get(CreditCommitment, c_id).broken_on is None


def test_compensation_decision_refused_keeps_the_reason(client, auth, users, app):
    with app.app_context():
        inst = db.session.scalar(select(Institution))
        covered = make_product(inst, name="补偿产品")
        bank = Actor(role="bank", institution_id=inst.id)
        fund = compensation.create_fund(name="风险补偿资金池", share="33.33", per_loan_cap=300_000, budget=100_000,
                                        product_ids=[covered.id], institution_ids=[], actor_id=None)
        a = _disburse_and_default(covered, 1, bank, 765_433)
        claim = compensation.file_claim(a.id, institution_id=inst.id, actor_id=None)
        claim_id, fund_id = claim.id, fund.id
    auth.login(users["commission"])
    page = f"/commission/compensation/{fund_id}"
    r = client.submit(f"/commission/compensation/claims/{claim_id}",
                      {"decision": "approve", "reason": "材料齐全，同意代偿", "version": "1"}, page=page)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _field_error(html, "reason", "余额不足")
    assert "材料齐全，同意代偿</textarea>" in html
    with app.app_context():
        assert db.session.get(CompensationClaim, claim_id).status == "filed"


def test_identity_decision_refused_keeps_the_reason_in_its_row(client, auth, app):
    from .test_identity_and_consent import _pending

    check_id, _ = _pending(client, app)
    auth.logout()
    auth.login("staff")
    long = "营" * 501
    r = client.submit(f"/commission/identity/{check_id}/approve", {"reason": long}, page="/commission/identity")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f"{long}</textarea>" in html and "最多" in html
    row = html[html.index(f'id="check-{check_id}"'):]
    assert row.index("最多") < row.index("</form>")
    with app.app_context():
        assert db.session.get(IdentityCheck, check_id).decision is None


def test_off_platform_correction_keeps_what_was_typed(client, auth, users, app):
    with app.app_context():
        inst_id = db.session.scalar(select(Institution.id))
        loan = off_platform.report(inst_id, (workdays.today().replace(day=1) - timedelta(days=40)).replace(day=1),
                                   uscc=USCC_A, enterprise_name="甲", amount=500_000, loan_count=1)
        loan_id, month = loan.id, loan.month.strftime("%Y-%m")
    auth.login(users["bank"])
    page = f"/bank/off-platform?month={month}"
    r = client.submit(f"/bank/off-platform/{loan_id}/correct?month={month}",
                      {f"c{loan_id}-enterprise_name": "甲公司（全称）", f"c{loan_id}-amount_wan": "五十",
                       f"c{loan_id}-loan_count": "2"}, page=page)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "页面已过期" not in html
    assert re.search(rf'name="c{loan_id}-enterprise_name"[^>]*value="甲公司（全称）"', html)
    assert re.search(rf'name="c{loan_id}-amount_wan"[^>]*value="五十"', html)
    amount = html[html.index(f'name="c{loan_id}-amount_wan"'):]
    assert "invalid-feedback" in amount[:amount.index(f'name="c{loan_id}-loan_count"')]
    with app.app_context():
        assert db.session.get(OffPlatformLoan, loan_id).enterprise_name == "甲"
