"""Credit governance: objections that correct the record, credit repair, joint reward and punishment,
commitments, the access log, risk compensation — each workflow's legal and illegal steps."""
import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from marketplace.extensions import db
from marketplace.models import (
    AccessLog,
    Application,
    CompensationClaim,
    CreditCommitment,
    CreditRepair,
    Enterprise,
    ImportBatch,
    JointCase,
    ListEntry,
    Notification,
    Objection,
    Penalty,
    RecordCorrection,
    RegistryEnterprise,
    User,
)
from marketplace.services import (
    RuleViolation,
    access_log,
    applications,
    commitments,
    compensation,
    credit,
    ingest,
    joint,
    objections,
    repairs,
    workdays,
)
from marketplace.services.applications import Actor

from .conftest import USCC_A, USCC_B, make_enterprise, make_institution, make_product
from .test_scoring import seed_city


def _batch(source="penalties"):
    b = ImportBatch(source=source, file_name=f"{source}.csv", sha256="0" * 64)
    db.session.add(b)
    db.session.flush()
    return b


def add_penalty(uscc=USCC_A, *, severity="general", decided_on=date(2025, 1, 10), doc="济市监罚〔2025〕1号"):
    p = Penalty(uscc=uscc, decided_on=decided_on, authority="济南市市场监督管理局", category="广告", severity=severity,
                fine=50_000, document_no=doc, publication_end=decided_on + timedelta(days=3 * 365),
                batch_id=_batch().id)
    db.session.add(p)
    db.session.commit()
    return p


def add_list_entry(uscc=USCC_A, list_type="dishonest_judgment_debtor", start_on=date(2025, 3, 1), end_on=None,
                   doc="(2025)鲁0102执1号"):
    e = ListEntry(uscc=uscc, list_type=list_type, start_on=start_on, end_on=end_on, document_no=doc,
                  batch_id=_batch("list_entries").id)
    db.session.add(e)
    db.session.commit()
    return e


def staff_id():
    return db.session.scalar(select(User.id).where(User.role == "commission"))


def expect_violation(message, fn, *args, **kwargs):
    with pytest.raises(RuleViolation) as e:
        fn(*args, **kwargs)
    assert message in e.value.message, e.value.message
    return e.value.message


# ------------------------------------------------------------------------------------------- objections

def test_objection_names_a_record_marks_it_on_all_three_pages_and_upheld_correction_keeps_history(
        client, auth, users, app):
    with app.app_context():
        penalty = add_penalty()
        other = make_enterprise(uscc=USCC_B, name="别家公司")
        foreign = add_penalty(USCC_B, doc="别家文号")
        key, firm_id, other_id = f"penalties:{penalty.id}", penalty.id, other.id
        foreign_key = f"penalties:{foreign.id}"
    auth.login(users["enterprise"])
    form = client.get("/enterprise/objections").get_data(as_text=True)
    assert "济市监罚〔2025〕1号" in form and "别家文号" not in form  # the firm picks only from its own records
    refused = client.submit("/enterprise/objections", {"record": foreign_key, "kind": "error", "description": "x"})
    assert refused.status_code == 200 and "请选择本企业的一条数据记录" in refused.get_data(as_text=True)
    assert client.submit("/enterprise/objections", {"record": key, "kind": "error",
                                                    "description": "罚款金额应为3万元"}).status_code == 302
    assert "异议处理中" in client.get("/enterprise/credit").get_data(as_text=True)
    auth.logout()
    with app.app_context():
        from marketplace.models import Institution
        from marketplace.services import authorizations

        inst = db.session.scalar(select(Institution))
        authorizations.grant(1, inst.id, scopes=list(authorizations.ALL_SCOPES),
                             valid_until=workdays.today() + timedelta(days=30), user_id=None)
        o = db.session.scalar(select(Objection))
        assert o.record_id == firm_id and o.record_public and o.verify_due == workdays.add_working_days(
            workdays.local_date(o.submitted_at), 1)
    auth.login(users["bank"])
    assert "异议处理中" in client.get("/bank/firms/1").get_data(as_text=True)
    auth.logout()
    auth.login(users["commission"])
    assert "异议处理中" in client.get("/commission/firms/1").get_data(as_text=True)
    detail = f"/commission/objections/{o.id}"
    page = client.get(detail).get_data(as_text=True)
    assert "济市监罚〔2025〕1号" in page and "更正数据" in page
    assert '<label for="new_fine">罚款金额</label>' in page  # the department file's header, not the column name
    # upheld without saying how the record changes: refused, nothing written
    client.submit(detail, {"to_status": "upheld", "resolution": "成立", "version": "1"})
    with app.app_context():
        assert db.session.get(Objection, o.id).status == "submitted"
    client.submit(detail, {"to_status": "upheld", "resolution": "经核实罚款为3万元", "outcome": "corrected",
                           "new_fine": "30000", "version": "1"})
    with app.app_context():
        o = db.session.get(Objection, o.id)
        assert o.status == "upheld" and o.outcome == "corrected"
        assert db.session.get(Penalty, firm_id).fine == 30_000
        c = db.session.scalar(select(RecordCorrection))
        assert c.old_values == {"fine": 50_000} and c.new_values == {"fine": 30_000}
    history = client.get(detail).get_data(as_text=True)
    assert "罚款金额：50000" in history and "罚款金额：30000" in history and "fine=" not in history
    with app.app_context():
        assert "已更正" in db.session.scalars(select(Notification.body).order_by(Notification.id.desc())).first()
        assert other_id  # the other firm's record is untouched
        assert db.session.get(Penalty, foreign.id).fine == 50_000
    auth.logout()
    auth.login(users["enterprise"])
    assert "异议处理中" not in client.get("/enterprise/credit").get_data(as_text=True)


def test_withdrawn_list_entry_leaves_the_lists_and_the_old_row_is_kept(app, users):
    with app.app_context():
        entry = add_list_entry()
        assert credit.listed_usccs(workdays.today(), [USCC_A]) == {USCC_A}
        o = objections.raise_objection(1, record_source="list_entries", record_id=entry.id, kind="not_public",
                                       description="已履行", actor_id=None)
        expect_violation("已有处理中的异议", objections.raise_objection, 1, record_source="list_entries",
                         record_id=entry.id, kind="error", description="重复提交", actor_id=None)
        objections.move(o, "upheld", actor_id=staff_id(), resolution="撤下", outcome="withdrawn")
        assert db.session.get(ListEntry, entry.id) is None
        assert credit.listed_usccs(workdays.today(), [USCC_A]) == set()
        kept = db.session.scalar(select(RecordCorrection))
        assert kept.action == "withdraw" and kept.old_values["document_no"] == "(2025)鲁0102执1号"


def test_bad_corrections_are_refused_and_leave_the_record(app, users):
    with app.app_context():
        p = add_penalty()
        o = objections.raise_objection(1, record_source="penalties", record_id=p.id, kind="error",
                                       description="x", actor_id=None)
        for values, message in (({"fine": "-5"}, "之间"), ({"fine": "abc"}, "整数"), ({"severity": "huge"}, "应为"),
                                ({"decided_on": "2025-13-01"}, "日期"), ({}, "至少一项")):
            expect_violation(message, objections.move, o, "upheld", actor_id=None, resolution="r",
                             outcome="corrected", new_values=values)
        assert db.session.get(Objection, o.id).status == "submitted"
        assert db.session.get(Penalty, p.id).fine == 50_000
        assert db.session.scalar(select(func.count(RecordCorrection.id))) == 0


def test_two_staff_deciding_one_objection_one_wins_the_other_is_told(client, auth, users, app):
    with app.app_context():
        p = add_penalty()
        o = objections.raise_objection(1, record_source="penalties", record_id=p.id, kind="error",
                                       description="x", actor_id=None)
        seen, objection_id = o.version, o.id
        objections.move(o, "rejected", actor_id=None, resolution="数据无误", expected_version=seen)
        expect_violation("其他人员处理", objections.move, db.session.get(Objection, o.id), "upheld", actor_id=None,
                         resolution="成立", outcome="withdrawn", expected_version=seen)
        assert db.session.get(Objection, o.id).status == "rejected"
        assert db.session.get(Penalty, p.id) is not None
    # the same through the page: a stale form says so
    auth.login(users["commission"])
    page = client.submit(f"/commission/objections/{objection_id}", {"to_status": "upheld", "resolution": "x",
                                                            "version": str(seen)}, follow_redirects=True)
    assert "其他人员处理" in page.get_data(as_text=True)


def test_working_day_clocks_and_overdue_cases_stand_out(client, auth, users, app):
    with app.app_context():
        p = add_penalty()
        friday = date(2026, 11, 20)
        from datetime import datetime

        o = objections.raise_objection(1, record_source="penalties", record_id=p.id, kind="error", description="x",
                                       actor_id=None, submitted_at=datetime(2026, 11, 20, 2, tzinfo=workdays.SHANGHAI))
        assert o.verify_due == date(2026, 11, 23)  # Friday → Monday: one working day
        assert o.case_due == workdays.add_working_days(friday, app.config["OBJECTION_CASE_WORKING_DAYS"])
        assert objections.overdue(o, on=date(2026, 11, 23)) is None
        assert objections.overdue(o, on=date(2026, 11, 24)) == "核实超期"
        assert objections.overdue(o, on=o.case_due + timedelta(days=1)) == "办理超期"
        objections.move(o, "verifying", actor_id=None)
        assert objections.overdue(o, on=date(2026, 11, 24)) is None
    auth.login(users["commission"])
    queue = client.get("/commission/objections").get_data(as_text=True)
    with app.app_context():
        overdue_now = workdays.today() > db.session.scalar(select(Objection.case_due))
    assert ("办理超期" in queue) == overdue_now


# ------------------------------------------------------------------------------------------- credit repair

def test_repair_waits_for_the_minimum_publication_period_needs_a_commitment_and_a_decision(app, users):
    with app.app_context():
        today = workdays.today()
        young = add_penalty(severity="serious", decided_on=today - timedelta(days=100), doc="严重-新")
        old = add_penalty(severity="general", decided_on=today - timedelta(days=200), doc="一般-旧")
        expect_violation("最短公示期为12个月", repairs.apply, 1, penalty_id=young.id, evidence="已缴清",
                         commitment_accepted=True, actor_id=None)
        expect_violation("信用修复型承诺", repairs.apply, 1, penalty_id=old.id, evidence="已缴清",
                         commitment_accepted=False, actor_id=None)
        expect_violation("证明材料", repairs.apply, 1, penalty_id=old.id, evidence=" ", commitment_accepted=True,
                         actor_id=None)
        other = make_enterprise(uscc=USCC_B, name="别家")
        expect_violation("本企业", repairs.apply, other.id, penalty_id=old.id, evidence="x",
                         commitment_accepted=True, actor_id=None)
        r = repairs.apply(1, penalty_id=old.id, evidence="罚款已缴清，凭证号 123", commitment_accepted=True,
                          actor_id=None)
        assert r.commitment.kind == "repair" and r.decision_due == workdays.add_working_days(today, 5)
        expect_violation("待审核", repairs.apply, 1, penalty_id=old.id, evidence="again", commitment_accepted=True,
                         actor_id=None)
        expect_violation("说明理由", repairs.decide, r, approve=False, reason="", actor_id=None)
        assert repairs.overdue_reviews_count(on=r.decision_due) == 0
        assert repairs.overdue_reviews_count(on=r.decision_due + timedelta(days=1)) == 1
        repairs.decide(r, approve=True, reason="", actor_id=staff_id())
        assert db.session.get(Penalty, old.id).repaired_on == today
        expect_violation("不能再次处理", repairs.decide, r, approve=False, reason="x", actor_id=None)
        assert repairs.overdue_reviews_count(on=r.decision_due + timedelta(days=1)) == 0


def test_repair_pages_for_the_firm_staff_and_the_public(client, auth, users, app):
    with app.app_context():
        penalty_id = add_penalty(decided_on=workdays.today() - timedelta(days=400)).id
    public = client.get("/credit-repair").get_data(as_text=True)
    assert "最短公示期" in public and "3 个月" in public and "12 个月" in public and "58号" in public
    auth.login(users["enterprise"])
    # the commitment box is never pre-ticked: without it nothing is saved
    page = client.submit("/enterprise/repairs", {"penalty_id": str(penalty_id), "evidence": "已缴清"})
    assert page.status_code == 200 and "信用修复型承诺" in page.get_data(as_text=True)
    assert client.submit("/enterprise/repairs", {"penalty_id": str(penalty_id), "evidence": "已缴清",
                                                 "commitment": "y"}).status_code == 302
    auth.logout()
    auth.login(users["commission"])
    with app.app_context():
        repair_id = db.session.scalar(select(CreditRepair.id))
    assert "逾期未审核 0 件" in client.get("/commission/repairs").get_data(as_text=True)
    client.submit(f"/commission/repairs/{repair_id}", {"decision": "approve", "reason": "", "version": "1"})
    with app.app_context():
        assert db.session.get(CreditRepair, repair_id).status == "approved"
        assert db.session.get(Penalty, penalty_id).repaired_on == workdays.today()


def train_on_penalties():
    """Train and activate a model whose outcomes follow the firms' penalties, so that the penalty features carry
    weight (penalties are rare in a small synthetic city: half the firms get one first); score every firm.
    Returns (as_of, USCCs of platform firms with exactly one penalty counted in the features)."""
    import pandas as pd

    from marketplace.services import scoring
    from risk import features

    as_of = scoring.data_as_of()
    batch_id = _batch().id
    for uscc in db.session.scalars(select(Enterprise.uscc).order_by(Enterprise.id).limit(400)):
        db.session.add(Penalty(uscc=uscc, decided_on=as_of - timedelta(days=200), authority="济南市生态环境局",
                               category="环保", severity="general", fine=20_000, document_no=f"济环罚{uscc[-6:]}",
                               publication_end=as_of + timedelta(days=165), batch_id=batch_id))
    db.session.commit()
    X = features.build(scoring.department_tables(as_of), as_of)
    counted = X["pen_general_36m"] + X["pen_serious_36m"]
    outcomes = pd.DataFrame({"uscc": X.index, "defaulted_12m": (counted > 0).astype(int).to_numpy()})
    scoring.train(X, outcomes, as_of=as_of, source={"outcomes": "penalty-driven (test)"})
    scoring.score_firms()
    platform = set(db.session.scalars(select(Enterprise.uscc)))
    return as_of, [u for u in X.index[(counted == 1).to_numpy()] if u in platform]


def counting_penalty(uscc, as_of):
    """The one penalty of this firm the features count, or None."""
    rows = db.session.scalars(select(Penalty).where(
        Penalty.uscc == uscc, Penalty.severity.in_(("general", "serious")), Penalty.decided_on < as_of,
        Penalty.publication_end > as_of, Penalty.repaired_on.is_(None))).all()
    return rows[0] if len(rows) == 1 else None


def test_upheld_objection_and_repair_move_the_score(app, runner):
    """On a seeded city, with a model trained on outcomes that follow the firms' penalties: withdrawing one
    firm's penalty after an upheld objection, and repairing another firm's penalty, take each out of the
    features and move that firm's score at once."""
    from marketplace.services import scoring
    from risk import features

    seed_city(runner)
    with app.app_context():
        as_of, single = train_on_penalties()
        firms = dict(db.session.execute(select(Enterprise.uscc, Enterprise.id)).all())
        today = workdays.today()

        def features_of(uscc):
            tables = scoring._governance_known_today(scoring.department_tables(as_of, usccs=[uscc]), as_of)
            row = features.build(tables, as_of).loc[uscc]
            return row["pen_general_36m"] + row["pen_serious_36m"]

        candidates = [(u, counting_penalty(u, as_of)) for u in single]
        candidates = [(u, p) for u, p in candidates if p is not None]
        objected, penalty = candidates[0]
        firm_id = firms[objected]
        before = credit.current_scores([firm_id])[firm_id]
        o = objections.raise_objection(firm_id, record_source="penalties", record_id=penalty.id, kind="expired",
                                       description="超期公示", actor_id=None)
        objections.move(o, "upheld", actor_id=None, resolution="撤下公示", outcome="withdrawn")
        after = credit.current_scores([firm_id])[firm_id]
        assert features_of(objected) == 0
        assert after.id != before.id and after.score > before.score

        repaired, penalty = next((u, p) for u, p in candidates[1:] if today >= repairs.repairable_from(p))
        firm_id = firms[repaired]
        before = credit.current_scores([firm_id])[firm_id]
        assert features_of(repaired) == 1
        r = repairs.apply(firm_id, penalty_id=penalty.id, evidence="已整改", commitment_accepted=True, actor_id=None)
        repairs.decide(r, approve=True, reason="", actor_id=None)
        assert features_of(repaired) == 0
        after = credit.current_scores([firm_id])[firm_id]
        assert after.id != before.id and after.score > before.score

        # The department sends those months' penalties again, knowing nothing of either decision: the withdrawn
        # penalty stays withdrawn, the repair stands, and neither firm's score moves.
        scores = {u: credit.current_scores([firms[u]])[firms[u]].score for u in (objected, repaired)}
        withdrawn = db.session.scalar(select(RecordCorrection).where(RecordCorrection.objection_id == o.id))
        old = withdrawn.old_values
        months = {date.fromisoformat(old["decided_on"]).replace(day=1), penalty.decided_on.replace(day=1)}
        sent = [p for p in db.session.scalars(select(Penalty)) if p.decided_on.replace(day=1) in months]
        buffer = io.StringIO()
        out = csv.writer(buffer)
        out.writerow(["统一社会信用代码", "处罚决定日期", "处罚机关", "处罚类别", "严重程度", "罚款金额",
                      "处罚决定书文号", "公示截止日期", "信用修复日期"])
        for p in sent:
            out.writerow([p.uscc, p.decided_on, p.authority, p.category, p.severity, p.fine, p.document_no,
                          p.publication_end, "" if p.id == penalty.id else (p.repaired_on or "")])
        out.writerow([old["uscc"], old["decided_on"], old["authority"], old["category"], old["severity"], old["fine"],
                      old["document_no"], old["publication_end"], ""])
        result = ingest.import_file("penalties", buffer.getvalue().encode(), "行政处罚.csv")
        assert result.ok and result.kept == {"withdrawn": 1, "repair": 1}
        assert db.session.get(Penalty, penalty.id).repaired_on == today
        assert not db.session.scalar(select(func.count(Penalty.id)).where(Penalty.document_no == old["document_no"]))
        assert features_of(objected) == 0 and features_of(repaired) == 0
        assert {u: credit.current_scores([firms[u]])[firms[u]].score for u in scores} == scores


# ------------------------------------------------------------------------------------------- joint punishment

def _apply(firm_id, product, user_id=None):
    return applications.submit(Actor(role="enterprise", user_id=user_id, enterprise_id=firm_id),
                               product_ids=[product.id], amount=500_000, term_months=12,
                               authorize_until=workdays.today() + timedelta(days=90), commitment_accepted=True,
                               scopes=["profile", "score", "department", "records"])


def test_legal_representative_on_a_list_is_a_hit_for_every_firm_they_represent(app, users):
    with app.app_context():
        inst = make_institution("联合惩戒银行")
        blocking = make_product(inst, name="严格产品", dishonesty_rule="block")
        flagging = make_product(inst, name="提示产品", dishonesty_rule="flag")
        second = make_enterprise(uscc=USCC_B, name="张三的另一家公司")  # also represented by 张三
        joint.add_person_entry(person_name="张三", list_type="dishonest_judgment_debtor",
                               start_on=workdays.today() - timedelta(days=10), end_on=None,
                               document_no="(2026)鲁01执99号", actor_id=None)
        assert credit.listed_usccs(workdays.today(), [USCC_A, USCC_B]) == {USCC_A, USCC_B}
        expect_violation("不符合", _apply, 1, blocking)
        app_ = _apply(second.id, flagging)[0]
        assert app_.dishonesty_flag
        cases = db.session.scalars(select(JointCase).order_by(JointCase.id)).all()
        assert [(c.enterprise_id, c.measure, c.via, c.document_no) for c in cases] == [
            (1, "block", "legal_representative", "(2026)鲁01执99号"),
            (second.id, "flag", "legal_representative", "(2026)鲁01执99号")]
        assert cases[1].application_id == app_.id and cases[0].application_id is None
        assert db.session.scalar(select(func.count(Application.id))) == 1


def test_a_firm_that_leaves_a_list_is_eligible_from_that_day(app, users):
    with app.app_context():
        inst = make_institution("准入银行")
        product = make_product(inst, dishonesty_rule="block")
        today = workdays.today()
        add_list_entry(end_on=today)  # left the list today
        assert credit.listed_usccs(today, [USCC_A]) == set()
        assert credit.listed_usccs(today - timedelta(days=1), [USCC_A]) == {USCC_A}
        assert _apply(1, product)[0].status == "submitted"
        assert db.session.scalar(select(func.count(JointCase.id))) == 0


def test_red_list_incentive_flag_and_the_case_log_page_and_export(client, auth, users, app):
    with app.app_context():
        inst = make_institution("激励银行")
        product = make_product(inst, name="守信贷")
        add_list_entry(list_type="a_taxpayer", doc="A级2025")
        joint.set_incentive(list_type="a_taxpayer", measure="fast_track", note="优先受理，3个工作日内答复",
                            actor_id=None)
        stopped = joint.set_incentive(list_type="a_taxpayer", measure="rate_note", note="停用的", actor_id=None)
        joint.stop_incentive(stopped, None)
        a = _apply(1, product)[0]
        cases = joint.cases_of_application(a.id)
        assert [(c.measure, c.note) for c in cases] == [("fast_track", "优先受理，3个工作日内答复")]
        app_id = a.id
        from marketplace.services import accounts

        accounts.create_user(username="banker2", password="correct-horse-1", role="bank", institution_id=inst.id)
    auth.login("banker2")
    page = client.get(f"/bank/applications/{app_id}").get_data(as_text=True)
    assert "绿色通道" in page and "优先受理" in page
    auth.logout()
    auth.login(users["commission"])
    month = f"{workdays.today():%Y-%m}"
    assert client.get("/commission/joint").status_code == 200
    log = client.get(f"/commission/joint?month={month}").get_data(as_text=True)
    assert "A级2025" in log and "绿色通道" in log
    export = client.get(f"/commission/joint/cases.csv?month={month}")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "日期" and len(rows) == 2 and "绿色通道（守信激励）" in rows[1]
    assert client.get("/commission/joint?month=2026-99").status_code == 400


def test_joint_cases_are_append_only_in_the_application(app):
    from marketplace.services import joint as module

    assert not [n for n in dir(module) if n.startswith(("delete", "update", "edit"))]


# ------------------------------------------------------------------------------------------- commitments

def test_commitments_archive_export_and_a_broken_commitment_is_a_negative_record(client, auth, users, app):
    with app.app_context():
        for kind in ("approval", "proactive", "repair", "self_regulation"):
            db.session.add(CreditCommitment(enterprise_id=1, kind=kind, text=f"{kind}承诺", purpose=f"事项{kind}"))
        db.session.commit()
        c = db.session.scalar(select(CreditCommitment).where(CreditCommitment.kind == "approval"))
        assert len(commitments.archive()) == 4 and len(commitments.archive(kind="repair")) == 1
    auth.login(users["commission"])
    page = client.get("/commission/commitments").get_data(as_text=True)
    assert all(k in page for k in ("审批替代型", "主动承诺型", "信用修复型", "行业自律型"))
    export = client.get("/commission/commitments.csv?kind=approval").get_data(as_text=True)
    assert "事项approval" in export and "事项repair" not in export
    firm_page = "/commission/firms/1"
    bad = client.submit(f"/commission/commitments/{c.id}/broken", {"on": "", "evidence": "x"}, page=firm_page,
                        follow_redirects=True)
    assert "违诺日期" in bad.get_data(as_text=True)
    client.submit(f"/commission/commitments/{c.id}/broken",
                  {"on": workdays.today().isoformat(), "evidence": "未按承诺补交材料"}, page=firm_page)
    with app.app_context():
        assert db.session.get(CreditCommitment, c.id).broken_on == workdays.today()
        assert [x.id for x in commitments.broken_of(1)] == [c.id]
    auth.logout()
    auth.login(users["enterprise"])
    assert "未按承诺补交材料" in client.get("/enterprise/credit").get_data(as_text=True)


# ------------------------------------------------------------------------------------------- access log

def test_staff_firm_page_is_logged_and_the_log_is_searchable_and_exportable(client, auth, users, app):
    auth.login(users["commission"])
    directory = client.get(f"/commission/firms?q={USCC_A}").get_data(as_text=True)
    assert "济南测试科技有限公司" in directory
    assert client.get("/commission/firms?list=serious").status_code == 200
    assert client.get("/commission/firms/1").status_code == 200
    assert client.get("/commission/firms/999").status_code == 404
    with app.app_context():
        log = db.session.scalar(select(AccessLog))
        assert log.enterprise_id == 1 and log.institution_id is None and log.what == "staff_firm_page"
    page = client.get("/commission/access-log?officer=staff").get_data(as_text=True)
    assert "企业档案（发改委）" in page and USCC_A in page
    assert USCC_A not in client.get("/commission/access-log?officer=nobody").get_data(as_text=True)
    today = workdays.today().isoformat()
    export = client.get(f"/commission/access-log.csv?from={today}&to={today}").get_data(as_text=True)
    assert "查询时间" in export and USCC_A in export
    assert client.get("/commission/access-log?from=2026-99-01").status_code == 400
    assert client.get("/commission/access-log?from=2026-02-01&to=2026-01-01").status_code == 400
    auth.logout()
    auth.login(users["bank"])
    assert client.get("/commission/access-log").status_code == 403
    assert client.get("/commission/firms/1").status_code == 403


def test_access_log_refuses_updates_and_deletes_on_postgresql(app, users):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the append-only trigger is PostgreSQL's (SQLite has no such guarantee)")
        access_log.log_staff_opening(db.session.scalar(select(User.id)), 1)
        for statement in ("UPDATE access_logs SET what = 'x'", "DELETE FROM access_logs"):
            with pytest.raises(Exception) as e:
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
            assert "append-only" in str(e.value)
        assert db.session.scalar(select(func.count(AccessLog.id))) == 1


# ------------------------------------------------------------------------------------------- risk compensation

def _disburse_and_default(product, firm_id, bank_actor, amount):
    """A loan disbursed today and never repaid: the system marks it overdue, then defaulted, as the days pass."""
    a = _apply(firm_id, product)[0]
    applications.accept(a.id, bank_actor)
    applications.grant(a.id, bank_actor, amount=amount, rate="4.35", term_months=12)
    applications.confirm(a.id, Actor(role="enterprise", enterprise_id=firm_id))
    applications.disburse(a.id, bank_actor, amount=amount, on=workdays.today())
    applications.mark_overdue(a.id, on=workdays.today() + timedelta(days=60))
    applications.mark_defaulted(a.id, on=workdays.today() + timedelta(days=400))
    return a


def test_compensation_claim_from_default_to_payout_balance_right_to_the_yuan(client, auth, users, app):
    with app.app_context():
        from marketplace.models import Institution

        inst = db.session.scalar(select(Institution))
        covered = make_product(inst, name="补偿产品")
        uncovered = make_product(inst, name="不在补偿范围")
        bank = Actor(role="bank", user_id=db.session.scalar(select(User.id).where(User.role == "bank")),
                     institution_id=inst.id)
        expect_violation("补偿比例", compensation.create_fund, name="x", share="0", per_loan_cap=1, budget=1,
                         product_ids=[], institution_ids=[], actor_id=None)
        fund = compensation.create_fund(name="市级风险补偿资金池", share="33.33", per_loan_cap=300_000,
                                        budget=500_000, product_ids=[covered.id], institution_ids=[], actor_id=None)
        a = _disburse_and_default(covered, 1, bank, 765_433)  # 33.33 % of 765,433 = 255,118.82 → 255,118 yuan
        b_firm = make_enterprise(uscc=USCC_B, name="第二家")
        b = _disburse_and_default(covered, b_firm.id, bank, 2_000_000)  # capped at 300,000
        u = _apply(b_firm.id, uncovered)[0]
        assert compensation.enrolment_of(u.id) is None
        s = compensation.summary(fund)
        assert (s["loans"], s["exposure"], s["paid"], s["balance"]) == (2, 255_118 + 300_000, 0, 500_000)
        expect_violation("申请不存在", compensation.file_claim, a.id, institution_id=inst.id + 99, actor_id=None)
        a_id, b_id, fund_id = a.id, b.id, fund.id
    auth.login(users["bank"])
    client.submit(f"/bank/applications/{a_id}/compensation-claim", {}, page=f"/bank/applications/{a_id}")
    client.submit(f"/bank/applications/{b_id}/compensation-claim", {}, page=f"/bank/applications/{b_id}")
    with app.app_context():
        claims = db.session.scalars(select(CompensationClaim).order_by(CompensationClaim.id)).all()
        assert [(c.loss, c.amount) for c in claims] == [(765_433, 255_118), (2_000_000, 300_000)]
        expect_violation("已有待审核", compensation.file_claim, a_id, institution_id=claims[0].institution_id,
                         actor_id=None)
        first, second = claims[0].id, claims[1].id
    auth.logout()
    auth.login(users["commission"])
    fund_page = f"/commission/compensation/{fund_id}"
    client.submit(f"/commission/compensation/claims/{first}", {"decision": "approve", "reason": "材料齐全",
                                                               "version": "1"}, page=fund_page)
    # the second would take the fund past its budget (255,118 + 300,000 > 500,000): refused
    refused = client.submit(f"/commission/compensation/claims/{second}",
                            {"decision": "approve", "reason": "材料齐全", "version": "1"}, page=fund_page,
                            follow_redirects=True)
    assert "余额不足" in refused.get_data(as_text=True)
    client.submit(f"/commission/compensation/claims/{second}", {"decision": "reject", "reason": "超出预算，下年度处理",
                                                                "version": "1"}, page=fund_page)
    with app.app_context():
        fund = db.session.get(compensation.CompensationFund, fund_id)
        s = compensation.summary(fund)
        assert (s["paid"], s["balance"], s["pending"]) == (255_118, 244_882, 0)
        assert db.session.get(CompensationClaim, second).status == "rejected"
    page = client.get(fund_page).get_data(as_text=True)
    assert "244,882 元" in page and "255,118 元" in page
    export = client.get(f"/commission/compensation/{fund_id}.csv").get_data(as_text=True)
    assert "余额 244882 元" in export and "765433" in export


def test_fund_form_refuses_hostile_values_and_saves_nothing(client, auth, users, app):
    auth.login(users["commission"])
    base = {"name": "资金池", "share_pct": "30", "cap_wan": "50", "budget_wan": "1000"}
    for bad, message in (({"products": "abc"}, "有效的适用产品"), ({"institutions": "999"}, "有效的适用机构"),
                         ({"share_pct": "130"}, "0.01–100%"), ({"budget_wan": "-1"}, "超出范围")):
        page = client.submit("/commission/compensation", {**base, **bad})
        assert page.status_code == 200 and message in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(compensation.CompensationFund.id))) == 0
    assert client.submit("/commission/compensation", {**base, "institutions": "1"}).status_code == 302
    with app.app_context():
        fund = db.session.scalar(select(compensation.CompensationFund))
        assert (fund.share, fund.per_loan_cap, fund.budget, fund.eligible_institution_ids) == (
            compensation.Decimal("0.3000"), 500_000, 10_000_000, [1])


def test_a_district_correction_is_chosen_from_the_districts_and_read_by_name(client, auth, users, app):
    with app.app_context():
        row = RegistryEnterprise(uscc=USCC_A, name="济南甲企业有限公司", region_code="370102", industry="C",
                                 size="small", operating_status="active", batch_id=_batch("registry").id)
        db.session.add(row)
        db.session.commit()
        o = objections.raise_objection(1, record_source="registry_enterprises", record_id=row.id, kind="error",
                                       description="区县登记错误", actor_id=None)
        objection_id, row_id = o.id, row.id
        # a code outside the district list is refused in words: the field's label and the districts' names
        message = expect_violation("应为", objections.move, o, "upheld", actor_id=None, resolution="r",
                                   outcome="corrected", new_values={"region_code": "999999"})
        assert "“所属区县”" in message
        assert "历下区" in message and "370102" not in message and "region_code" not in message
        assert db.session.get(RegistryEnterprise, row_id).region_code == "370102"
        assert objections.value_text("region_code", "370104") == "槐荫区"
    auth.login(users["commission"])
    page = client.get(f"/commission/objections/{objection_id}").get_data(as_text=True)
    assert '<select class="form-select form-select-sm" name="new_region_code"' in page
    assert '<option value="370104">槐荫区</option>' in page
