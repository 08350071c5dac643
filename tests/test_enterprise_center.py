"""企业中心 as a firm owner uses it: credit profile, recommendations, one-click apply, authorizations."""
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    AccessLog,
    Application,
    CreditCommitment,
    DataAuthorization,
    EnterpriseScore,
    FinancingNeed,
    Institution,
)
from marketplace.services import workdays

from .conftest import make_product


def test_credit_profile_without_score_or_department_data(client, auth, users):
    auth.login(users["enterprise"])
    html = client.get("/enterprise/credit").get_data(as_text=True)
    assert "未评级" in html and "暂无部门数据" in html and "如何提升信用评分" in html


def test_credit_profile_shows_grade_reasons_and_tips(client, auth, users, app):
    with app.app_context():
        firm_id = db.session.scalar(select(FinancingNeed.enterprise_id)) or 1
        db.session.add(EnterpriseScore(enterprise_id=firm_id, model_version="v1", as_of=date(2026, 10, 31),
                                       pd="0.031200", score=688, grade="BBB",
                                       reasons=["近12个月社保欠缴2个月", {"text": "纳税额同比下降35%"}]))
        db.session.commit()
    auth.login(users["enterprise"])
    html = client.get("/enterprise/credit").get_data(as_text=True)
    assert "BBB" in html and "688" in html and "3.12%" in html
    assert "近12个月社保欠缴2个月" in html and "纳税额同比下降35%" in html
    assert "按时足额缴纳社会保险" in html and "按期申报纳税" in html
    assert "BBB" in client.get("/enterprise/").get_data(as_text=True)


def test_publish_need_recommend_and_apply_to_two_products(client, auth, users, app):
    with app.app_context():
        bank = db.session.scalar(select(Institution))
        a = make_product(bank, name="甲产品", rate_min=3.5)
        b = make_product(bank, name="乙产品", rate_min=4.0)
        make_product(bank, name="额度不符", amount_min=5_000_000, amount_max=9_000_000)
        ids = [a.id, b.id]
    auth.login(users["enterprise"])
    response = client.submit("/enterprise/needs/new", {"amount_wan": "100", "term_months": "12",
                                                       "guarantee": "credit", "urgency": "urgent",
                                                       "purpose": "采购原材料"})
    assert "/recommendations" in response.headers["Location"]
    with app.app_context():
        need = db.session.scalar(select(FinancingNeed))
        assert need.urgency == "urgent"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert html.index("甲产品") < html.index("乙产品") and "额度不符" not in html
    assert "预授信额度" in html and "预计年利率" in html and "覆盖您需要的 100 万元" in html

    page = f"/enterprise/apply?need_id={need.id}&product_ids={ids[0]}&product_ids={ids[1]}"
    form = {"product_ids": [str(i) for i in ids], "need_id": str(need.id), "amount_wan": "100",
            "term_months": "12", "authorize_until": str(workdays.today() + timedelta(days=180)), "authorize": "y",
            "scopes": ["profile", "score"]}
    refused = client.submit(page, form, page=page)
    assert refused.status_code == 200 and "申请前须签署信用承诺" in refused.get_data(as_text=True)
    done = client.submit(page, {**form, "commitment": "y"}, page=page)
    assert done.status_code == 302
    with app.app_context():
        apps = db.session.scalars(select(Application).order_by(Application.id)).all()
        assert [(x.product_id, x.amount, x.status, x.need_id) for x in apps] == \
            [(ids[0], 1_000_000, "submitted", need.id), (ids[1], 1_000_000, "submitted", need.id)]
        assert len({x.commitment_id for x in apps}) == 1
        assert db.session.scalar(select(CreditCommitment)).kind == "proactive"
        assert db.session.scalar(select(DataAuthorization)).valid_until == workdays.today() + timedelta(days=180)
    listing = client.get("/enterprise/applications").get_data(as_text=True)
    assert "甲产品" in listing and "已提交" in listing
    assert "新的" not in client.get("/enterprise/messages").get_data(as_text=True)


def test_withdraw_from_the_application_page(client, auth, users, app):
    with app.app_context():
        product = make_product(db.session.scalar(select(Institution)))
        pid = product.id
    auth.login(users["enterprise"])
    page = f"/enterprise/apply?product_ids={pid}"
    client.submit(page, {"product_ids": str(pid), "amount_wan": "50", "term_months": "6", "authorize": "y",
                         "commitment": "y", "authorize_until": str(workdays.today() + timedelta(days=30)),
                         "scopes": ["profile"]})
    with app.app_context():
        app_id = db.session.scalar(select(Application.id))
    detail = f"/enterprise/applications/{app_id}"
    assert "撤回申请" in client.get(detail).get_data(as_text=True)
    client.submit(f"{detail}/withdraw", {"version": "1"}, page=detail)
    with app.app_context():
        assert db.session.get(Application, app_id).status == "withdrawn"
    assert "撤回申请" not in client.get(detail).get_data(as_text=True)


def test_authorize_and_revoke(client, auth, users, app):
    with app.app_context():
        inst_id = db.session.scalar(select(Institution.id))
    auth.login(users["enterprise"])
    client.submit("/enterprise/authorizations", {"institution_id": str(inst_id), "scopes": ["score", "department"],
                                                 "valid_until": str(workdays.today() + timedelta(days=10))})
    with app.app_context():
        a = db.session.scalar(select(DataAuthorization))
        assert a.scopes == ["score", "department"] and a.revoked_at is None
        auth_id = a.id
    bad = client.submit("/enterprise/authorizations", {"institution_id": str(inst_id), "scopes": ["score"],
                                                       "valid_until": "2020-01-01"})
    assert "授权截止日期不能早于今天" in bad.get_data(as_text=True)
    client.submit(f"/enterprise/authorizations/{auth_id}/revoke", {}, page="/enterprise/authorizations")
    with app.app_context():
        assert db.session.get(DataAuthorization, auth_id).revoked_at is not None
        assert db.session.scalar(select(AccessLog)) is None


def test_firm_reads_plain_reasons_and_the_bank_the_officers_wording(client, auth, users, app):
    from marketplace.models import Institution
    from marketplace.services import authorizations, workdays

    with app.app_context():
        firm_id = db.session.scalar(select(EnterpriseScore.enterprise_id)) or 1
        db.session.add(EnterpriseScore(enterprise_id=firm_id, model_version="v1", as_of=date(2026, 10, 31),
                                       pd="0.05", score=640, grade="BB",
                                       reasons=[{"text": "社保欠缴月数偏高", "plain": "最近有社保费没有按时交"}]))
        bank = db.session.scalar(select(Institution))
        authorizations.grant(firm_id, bank.id, scopes=["profile", "score"],
                             valid_until=workdays.today() + timedelta(days=365), user_id=None)
        db.session.commit()
    auth.login(users["enterprise"])
    html = client.get("/enterprise/credit").get_data(as_text=True)
    assert "最近有社保费没有按时交" in html and "社保欠缴月数偏高" not in html
    auth.logout()
    auth.login(users["bank"])
    html = client.get(f"/bank/firms/{firm_id}").get_data(as_text=True)
    assert "社保欠缴月数偏高" in html and "最近有社保费没有按时交" not in html
