"""Matching: each hard eligibility rule on its own, the dishonesty rule, ranking order, bank-side 撮合."""
from datetime import date, timedelta

import pytest

from marketplace.extensions import db
from marketplace.models import EnterpriseScore, FinancingNeed, ImportBatch, ListEntry, TaxRecord
from marketplace.services import credit, matching, workdays

from .conftest import USCC_A, USCC_B, make_enterprise, make_institution, make_product


def need_for(firm, amount=1_000_000, term=12):
    need = FinancingNeed(enterprise_id=firm.id, amount=amount, term_months=term, purpose="周转", status="open")
    db.session.add(need)
    db.session.commit()
    return need


def score(firm, grade, pd_="0.02", as_of=date(2026, 10, 31), reasons=None):
    db.session.add(EnterpriseScore(enterprise_id=firm.id, model_version="test", as_of=as_of, pd=pd_, score=700,
                                   grade=grade, reasons=reasons or []))
    db.session.commit()


def tax_months(uscc, revenue, months=12, arrears=0, vat=20_000):
    """12 monthly tax records ending 2026-10 for a firm."""
    batch = ImportBatch(source="tax_records", file_name="tax.csv", sha256="0" * 64)
    db.session.add(batch)
    db.session.flush()
    for m in range(months):
        month = 10 - m
        period = date(2026, month, 1) if month > 0 else date(2025, 12 + month, 1)
        db.session.add(TaxRecord(uscc=uscc, period=period, revenue=revenue, vat_paid=vat, income_tax_paid=0,
                                 arrears=arrears if m == 0 else 0, batch_id=batch.id))
    db.session.commit()


def recommended(need):
    return [r.name for r in matching.recommend_for_need(need.id)]


@pytest.fixture
def bank(app):
    with app.app_context():
        yield make_institution()


# (product restriction, firm attributes that pass, firm attributes that fail)
RULES = {
    "region": ({"eligible_regions": ["370102"]}, {"region_code": "370102"}, {"region_code": "370112"}),
    "industry": ({"eligible_industries": ["C", "F"]}, {"industry": "F"}, {"industry": "I"}),
    "size": ({"eligible_sizes": ["micro", "small"]}, {"size": "small"}, {"size": "large"}),
    "years": ({"min_years": 3}, {"established_on": date(2018, 1, 1)},
              {"established_on": workdays.today() - timedelta(days=365)}),
    "status": ({}, {"operating_status": "active"}, {"operating_status": "revoked"}),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_each_firm_rule_alone(app, bank, rule):
    restriction, good, bad = RULES[rule]
    with app.app_context():
        make_product(bank, name="受限产品", **restriction)
        ok_firm = make_enterprise(USCC_A, "甲公司", **good)
        bad_firm = make_enterprise(USCC_B, "乙公司", **bad)
        assert recommended(need_for(ok_firm)) == ["受限产品"]
        assert recommended(need_for(bad_firm)) == []
        from marketplace.models import Product

        check = matching.check_eligibility(bad_firm, [db.session.scalar(db.select(Product))], 1_000_000, 12)
        assert list(check.values())[0]["failed"] == [matching.RULE_LABELS[rule]]


def test_amount_and_term_ranges(app, bank):
    with app.app_context():
        make_product(bank, name="区间产品", amount_min=100_000, amount_max=3_000_000, term_min=3, term_max=12)
        firm = make_enterprise()
        assert recommended(need_for(firm, amount=3_000_000, term=12)) == ["区间产品"], "bounds are inclusive"
        assert recommended(need_for(firm, amount=100_000, term=3)) == ["区间产品"]
        assert recommended(need_for(firm, amount=3_000_001)) == []
        assert recommended(need_for(firm, amount=99_999)) == []
        assert recommended(need_for(firm, term=13)) == []
        assert recommended(need_for(firm, term=2)) == []


def test_minimum_grade_and_unrated_firms(app, bank):
    with app.app_context():
        make_product(bank, name="要求BBB", min_grade="BBB")
        make_product(bank, name="不限等级")
        firm = make_enterprise()
        need = need_for(firm)
        assert recommended(need) == ["不限等级"], "未评级 firms are excluded by a minimum grade, admitted otherwise"
        score(firm, "BB")
        assert recommended(need) == ["不限等级"]
        score(firm, "BBB", as_of=date(2026, 11, 30))
        assert sorted(recommended(need)) == ["不限等级", "要求BBB"], "the latest score counts"
        assert credit.current_grade([firm.id, 999]) == {firm.id: "BBB", 999: None}


@pytest.fixture
def list_entries(app):
    """Add a list entry (名单) for a firm, as an import would."""

    def add(uscc, list_type, start_on, end_on=None):
        batch = ImportBatch(source="list_entries", file_name="test.csv", sha256="0" * 64)
        db.session.add(batch)
        db.session.flush()
        db.session.add(ListEntry(uscc=uscc, list_type=list_type, start_on=start_on, end_on=end_on,
                                 document_no="DOC-1", batch_id=batch.id))
        db.session.commit()

    return add


def test_no_list_entries_means_nobody_is_listed(app):
    with app.app_context():
        assert credit.listed_usccs(date(2026, 11, 1)) == set()


def test_dishonesty_blocks_or_flags_by_product_rule(app, bank, list_entries):
    today = workdays.today()
    with app.app_context():
        make_product(bank, name="拒绝失信", dishonesty_rule="block")
        make_product(bank, name="人工审核", dishonesty_rule="flag")
        listed = make_enterprise(USCC_A, "失信公司")
        clean = make_enterprise(USCC_B, "守信公司")
        list_entries(USCC_A, "dishonest_judgment_debtor", today - timedelta(days=30))
        list_entries(USCC_B, "abnormal_operation", today - timedelta(days=30))  # negative, not serious
        recs = matching.recommend_for_need(need_for(listed).id)
        assert [(r.name, r.flagged) for r in recs] == [("人工审核", True)]
        assert any("严重失信" in reason for reason in recs[0].reasons)
        assert sorted(recommended(need_for(clean))) == ["人工审核", "拒绝失信"]


def test_firm_off_the_list_from_its_end_day(app, bank, list_entries):
    today = workdays.today()
    with app.app_context():
        make_product(bank, name="拒绝失信", dishonesty_rule="block")
        firm = make_enterprise()
        list_entries(USCC_A, "major_tax_violation", today - timedelta(days=300), end_on=today)
        assert recommended(need_for(firm)) == ["拒绝失信"]
        assert credit.listed_usccs(today - timedelta(days=1)) == {USCC_A}


def test_ranking_prefers_fit_price_and_likelihood(app, bank):
    with app.app_context():
        make_product(bank, name="贵的", rate_min=9.0, rate_max=14.0)
        make_product(bank, name="便宜的", rate_min=3.2, rate_max=4.5)
        make_product(bank, name="额度太大", rate_min=3.2, rate_max=4.5, amount_min=900_000, amount_max=50_000_000)
        firm = make_enterprise()
        score(firm, "A")
        recs = matching.recommend_for_need(need_for(firm).id)
        assert [r.name for r in recs] == ["便宜的", "额度太大", "贵的"]
        assert recs[0].score > recs[1].score > recs[2].score
        top = recs[0]
        assert 3.2 <= top.rate_low < top.rate_high <= 4.5
        assert top.line == 0 and "尚无贵企业近12个月的纳税数据" in top.line_basis, "no tax record, no line"
        assert top.approval is None, "no decisions on the platform yet: no likelihood shown"
        assert any("覆盖您需要的 100 万元" in r for r in top.reasons)


def test_better_grade_ranks_higher_for_banks_and_gets_larger_line(app, bank):
    with app.app_context():
        product = make_product(bank, name="信用贷")
        strong, weak = make_enterprise(USCC_A, "强企业"), make_enterprise(USCC_B, "弱企业")
        score(strong, "AA", pd_="0.01")
        score(weak, "B", pd_="0.15")
        for firm in (strong, weak):
            tax_months(firm.uscc, revenue=2_000_000)
        n_weak, n_strong = need_for(weak), need_for(strong)
        by_product = matching.needs_for_institution(bank.id)
        _, fits = by_product[product.id]
        assert list(fits["need_id"]) == [n_strong.id, n_weak.id]
        assert "name" not in fits.columns and "uscc" not in fits.columns
        lines = {r.need_id: r.line for r in matching.match_all().itertuples()}
        assert lines[n_strong.id] > lines[n_weak.id]


def test_match_all_gives_top_k_per_need(app, bank):
    with app.app_context():
        for i in range(7):
            make_product(bank, name=f"产品{i}", rate_min=3 + i * 0.1, rate_max=6)
        make_product(bank, name="不符", amount_max=200_000)
        firm = make_enterprise()
        need = need_for(firm)
        closed = need_for(firm)
        closed.status = "closed"
        db.session.commit()
        result = matching.match_all(top_k=5)
        assert list(result["need_id"].unique()) == [need.id]
        assert list(result["rank"]) == [1, 2, 3, 4, 5]
        assert result["score"].is_monotonic_decreasing


def test_department_trends_read_the_department_tables(app):
    with app.app_context():
        assert credit.department_trends(USCC_A) == []
        batch = ImportBatch(source="tax", file_name="tax.csv", sha256="0" * 64)
        db.session.add(batch)
        db.session.flush()
        for uscc, period, revenue, vat, income in ((USCC_A, date(2026, 9, 1), 1_000_000, 30_000, 10_000),
                                                   (USCC_A, date(2026, 10, 1), 1_200_000, 36_000, 12_000),
                                                   (USCC_B, date(2026, 10, 1), 9, 9, 9)):
            db.session.add(TaxRecord(uscc=uscc, period=period, revenue=revenue, vat_paid=vat,
                                     income_tax_paid=income, arrears=0, batch_id=batch.id))
        db.session.commit()
        series = credit.department_trends(USCC_A)
        assert [s["label"] for s in series] == ["营业收入", "纳税额"]
        assert series[0]["periods"] == ["2026-09", "2026-10"] and series[0]["values"] == [100.0, 120.0]
        assert series[1]["values"] == [4.0, 4.8]




def test_pre_approved_line_is_bounded_by_revenue_and_says_how(app, bank):
    """A micro firm with about 20万 of monthly revenue is not offered 1,000万: 30 % of its 240万 annual revenue
    times its grade factor, within the product's range, with the derivation stated."""
    with app.app_context():
        make_product(bank, name="大额信用贷", amount_min=100_000, amount_max=20_000_000)
        firm = make_enterprise(size="micro")
        score(firm, "A")
        tax_months(firm.uscc, revenue=200_000)
        (rec,) = matching.recommend_for_need(need_for(firm, amount=500_000).id)
        assert rec.line == 570_000, "240万 × 30 % × 0.8 = 57.6万, whole 万元"
        assert "近12个月营业收入 240 万元 × 30% × 信用等级 A 系数 0.8 = 57.6 万元，取整为 57 万元" in rec.line_basis


def test_no_line_while_the_firm_owes_tax(app, bank):
    with app.app_context():
        make_product(bank, name="信用贷")
        firm = make_enterprise()
        score(firm, "AA")
        tax_months(firm.uscc, revenue=1_000_000, arrears=30_000)
        (rec,) = matching.recommend_for_need(need_for(firm).id)
        assert rec.line == 0 and "欠税 3 万元" in rec.line_basis


def test_guarantee_offered_is_a_hard_rule(app, bank):
    """A firm offering no guarantee (信用) is never shown mortgage, guarantee, pledge or supply-chain products;
    a firm offering a mortgage sees mortgage and credit products."""
    with app.app_context():
        for kind in ("credit", "mortgage", "guarantee", "pledge", "supply_chain"):
            make_product(bank, name=f"{kind}产品", kind=kind)
        firm = make_enterprise()
        score(firm, "A")
        unsecured = need_for(firm)
        assert recommended(unsecured) == ["credit产品"]
        secured = need_for(firm)
        secured.guarantee = "mortgage"
        db.session.commit()
        assert sorted(recommended(secured)) == ["credit产品", "mortgage产品"]


def _bbb_decisions(bank, statuses):
    """A BBB firm (no need yet) and one application per status to a credit product of `bank`, each from
    another BBB firm."""
    from marketplace.models import Application, CreditCommitment, Enterprise

    product = make_product(bank, name="信用贷")
    firm = make_enterprise()
    score(firm, "BBB")
    commitment = CreditCommitment(enterprise_id=firm.id, kind="proactive", text="承诺")
    db.session.add(commitment)
    apps = []
    for i, status in enumerate(statuses):
        other = Enterprise(uscc=f"9137010200000{i:04d}X"[:18], name=f"同级企业{i}", region_code="370102",
                           industry="C", size="small")
        db.session.add(other)
        db.session.flush()
        score(other, "BBB")
        apps.append(Application(enterprise_id=other.id, product_id=product.id, institution_id=bank.id,
                                commitment=commitment, amount=100_000, term_months=12, status=status))
    db.session.add_all(apps)
    db.session.commit()
    return firm, apps


def test_approval_likelihood_comes_from_the_platforms_own_decisions(app, bank):
    """Shown only with enough decided applications for the same product kind and firms of the same grade, and
    equal to their share granted."""
    from marketplace.models import Application

    with app.app_context():
        firm, apps = _bbb_decisions(bank, ["rejected"] * 4 + ["repaid"] * (matching.MIN_DECISIONS - 4))
        (rec,) = matching.recommend_for_need(need_for(firm).id)
        assert rec.decided == matching.MIN_DECISIONS and rec.approval == 0.6
        db.session.execute(db.delete(Application).where(Application.id == apps[0].id))
        db.session.commit()
        (rec,) = matching.recommend_for_need(need_for(firm).id)
        assert rec.approval is None, "one decision short: not shown"


def test_approval_likelihood_follows_each_decision_and_rescoring_at_once(app, bank):
    """The decision history is kept between page views only while nothing it counts has changed: a decision
    taken, or a firm re-scored into another grade, shows on the very next view."""
    from marketplace.models import Enterprise

    with app.app_context():
        firm, apps = _bbb_decisions(bank, ["rejected"] * 5 + ["repaid"] * 5 + ["accepted"])
        need = need_for(firm)
        (rec,) = matching.recommend_for_need(need.id)
        assert (rec.decided, rec.approval) == (10, 0.5)
        apps[-1].status = "granted"  # the eleventh application decided
        db.session.commit()
        (rec,) = matching.recommend_for_need(need.id)
        assert (rec.decided, round(rec.approval, 4)) == (11, round(6 / 11, 4))
        score(db.session.get(Enterprise, apps[0].enterprise_id), "A", as_of=date(2026, 11, 1))  # re-scored
        (rec,) = matching.recommend_for_need(need.id)
        assert (rec.decided, rec.approval) == (10, 0.6), "a rejection of a firm now graded A is not a BBB record"
