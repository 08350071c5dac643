"""What staff type into the governance forms: a hostile version is a clear 400 that changes nothing; every text
has the one length limit of its column (the form refuses more, the column cannot hold more); the fund's export
goes through the one CSV writer."""
import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import limits
from marketplace.extensions import db
from marketplace.models import (
    CompensationClaim,
    CreditCommitment,
    CreditRepair,
    Institution,
    Objection,
    User,
)
from marketplace.models.base import text_length
from marketplace.services import commitments, compensation, csv_files, objections, repairs, workdays
from marketplace.services.applications import Actor

from .conftest import make_product
from .test_governance import _disburse_and_default, add_penalty

HOSTILE_VERSIONS = ["abc", "99999999999", "-1", "1.5"]


def _repair(app):
    with app.app_context():
        p = add_penalty(decided_on=workdays.today() - timedelta(days=400))
        return repairs.apply(1, penalty_id=p.id, evidence="已缴清", commitment_accepted=True, actor_id=None).id


def _objection(app):
    with app.app_context():
        p = add_penalty()
        return objections.raise_objection(1, record_source="penalties", record_id=p.id, kind="error",
                                          description="金额有误", actor_id=None).id


def _claim(app):
    with app.app_context():
        inst = db.session.scalar(select(Institution))
        product = make_product(inst, name="补偿产品")
        bank = Actor(role="bank", user_id=db.session.scalar(select(User.id).where(User.role == "bank")),
                     institution_id=inst.id)
        fund = compensation.create_fund(name="资金池", share="50", per_loan_cap=300_000, budget=500_000,
                                        product_ids=[], institution_ids=[], actor_id=None)
        a = _disburse_and_default(product, 1, bank, 100_000)
        claim = compensation.file_claim(a.id, institution_id=inst.id, actor_id=None)
        return claim.id, fund.id


@pytest.mark.parametrize("version", HOSTILE_VERSIONS)
def test_a_hostile_version_is_a_clear_400_and_decides_nothing(client, auth, users, app, version):
    repair_id, objection_id = _repair(app), _objection(app)
    claim_id, fund_id = _claim(app)
    auth.login(users["commission"])
    posts = [(f"/commission/repairs/{repair_id}", None, {"decision": "approve", "reason": "同意"}),
             (f"/commission/objections/{objection_id}", None, {"to_status": "rejected", "resolution": "无误"}),
             (f"/commission/compensation/claims/{claim_id}", f"/commission/compensation/{fund_id}",
              {"decision": "approve", "reason": "材料齐全"})]
    for url, page, data in posts:
        response = client.submit(url, {**data, "version": version}, page=page)
        assert response.status_code == 400, url
        assert "版本" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CreditRepair, repair_id).status == "submitted"
        assert db.session.get(Objection, objection_id).status == "submitted"
        assert db.session.get(CompensationClaim, claim_id).status == "filed"
    # the version the page carries still decides (the lock is checked, not dropped)
    assert client.submit(f"/commission/repairs/{repair_id}", {"decision": "approve", "reason": "同意"}
                         ).status_code == 302
    with app.app_context():
        assert db.session.get(CreditRepair, repair_id).status == "approved"


# (column, the services' constant, limits.TEXT key)
TEXTS = [(CreditRepair.evidence, repairs.EVIDENCE_MAX, "evidence"), (CreditRepair.reason, repairs.REASON_MAX, "decision"),
         (CompensationClaim.reason, compensation.REASON_MAX, "decision"),
         (CreditCommitment.broken_evidence, commitments.EVIDENCE_MAX, "evidence")]


@pytest.mark.parametrize("column, service_limit, key", TEXTS, ids=lambda x: getattr(x, "key", None))
def test_each_governance_text_has_one_limit_in_column_service_and_limits(column, service_limit, key):
    assert text_length(column) == service_limit == limits.TEXT[key]


def test_too_long_texts_are_refused_by_the_forms_and_leave_nothing(client, auth, users, app):
    repair_id = _repair(app)
    claim_id, fund_id = _claim(app)
    auth.login(users["commission"])
    too_long = "长" * (limits.TEXT["decision"] + 1)
    page = client.submit(f"/commission/repairs/{repair_id}", {"decision": "reject", "reason": too_long},
                         follow_redirects=True).get_data(as_text=True)
    assert f"最多{limits.TEXT['decision']}个字符" in page
    page = client.submit(f"/commission/compensation/claims/{claim_id}", {"decision": "reject", "reason": too_long},
                         page=f"/commission/compensation/{fund_id}", follow_redirects=True).get_data(as_text=True)
    assert f"最多{limits.TEXT['decision']}个字符" in page
    with app.app_context():
        commitment_id = db.session.scalar(select(CreditCommitment.id))
        firm_id = db.session.get(CreditCommitment, commitment_id).enterprise_id
    page = client.submit(f"/commission/commitments/{commitment_id}/broken",
                         {"on": str(workdays.today()), "evidence": "证" * (limits.TEXT["evidence"] + 1)},
                         page=f"/commission/firms/{firm_id}", follow_redirects=True).get_data(as_text=True)
    assert f"最多{limits.TEXT['evidence']}个字符" in page
    with app.app_context():
        assert db.session.get(CreditRepair, repair_id).status == "submitted"
        assert db.session.get(CompensationClaim, claim_id).status == "filed"
        assert db.session.get(CreditCommitment, commitment_id).broken_on is None


def test_the_fund_export_goes_through_the_one_csv_writer(client, auth, users, app):
    _, fund_id = _claim(app)
    auth.login(users["commission"])
    data = client.get(f"/commission/compensation/{fund_id}.csv").get_data()
    assert data.startswith("\ufeff".encode()) and data.count("\ufeff".encode()) == 1
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0].startswith("资金规模 500000 元") and rows[1][0] == "申请编号" and len(rows) == 3
    # the writer's preamble lines are cells like any other: a formula is neutralised, odd line breaks removed
    written = csv_files.write(["a"], [[1]], preamble=["=HYPERLINK(\"x\")", "第一行\u2028第二行"]).decode("utf-8-sig")
    assert written.splitlines()[:3] == ["\"'=HYPERLINK(\"\"x\"\")\"", "第一行 第二行", "a"]


def test_the_correction_form_limits_each_text_to_its_column(client, auth, users, app):
    objection_id = _objection(app)
    auth.login(users["commission"])
    page = client.get(f"/commission/objections/{objection_id}").get_data(as_text=True)
    assert 'name="new_document_no" id="new_document_no" maxlength="64"' in page  # penalties.document_no String(64)
    assert 'id="new_fine" value="">' in page  # a number: bounded where it is parsed (objections._parse), not by a length
    with app.app_context():
        assert objections.text_lengths("registry_enterprises")["name"] == 128
        # a disputed record's columns by its department file's headers, whatever its table is called
        assert objections.field_label("registry_enterprises", "name") == "企业名称"
        assert objections.field_label("penalties", "fine") == "罚款金额"
