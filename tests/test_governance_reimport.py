"""Decisions outlive a re-import: a department file sent again does not bring back a record withdrawn from
publication, undo a correction or a repair, or take the record from under an open objection; and joint
punishment screening reads who represents a firm from the registry."""
import io
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Enterprise, JointCase, ListEntry, Penalty, TaxRecord
from marketplace.services import credit, identity, ingest, joint, objections, repairs, workdays

from .conftest import USCC_A, USCC_B, make_enterprise, make_institution, make_product
from .test_governance import _apply, expect_violation, staff_id

USCC_C = "91370103MA3D5QWE11"  # in the registry, not on the platform
REGISTRY_HEADER = "统一社会信用代码,企业名称,所属区县,行业门类,企业规模,成立日期,注册资本,经营状态,法定代表人\n"


def registry_csv(representatives: dict[str, str]) -> bytes:
    names = {USCC_A: "济南测试科技有限公司", USCC_B: "济南另一家有限公司", USCC_C: "济南第三家有限公司"}
    return (REGISTRY_HEADER + "".join(f"{u},{names[u]},370102,C,小型,2018-05-01,5000000,存续,{p}\n"
                                      for u, p in representatives.items())).encode("utf-8")


def tax_csv(revenue_b: int) -> bytes:
    return ("统一社会信用代码,所属期,营业收入,实缴增值税,实缴所得税,欠税金额\n"
            f"{USCC_A},2026-10,100000,3000,0,0\n{USCC_B},2026-10,{revenue_b},3000,0,0\n").encode()


PENALTIES_CSV = ("统一社会信用代码,处罚决定日期,处罚机关,处罚类别,严重程度,罚款金额,处罚决定书文号,公示截止日期\n"
                 f"{USCC_A},2023-03-10,济南市市场监督管理局,广告,一般,50000,济市监罚〔2023〕1号,2026-03-10\n"
                 f"{USCC_A},2023-03-20,济南市生态环境局,环保,一般,20000,济环罚〔2023〕2号,2026-03-20\n"
                 ).encode()
LISTS_CSV = ("统一社会信用代码,名单类型,列入日期,移出日期,列入依据文号\n"
             f"{USCC_A},失信被执行人,2025-03-01,,(2025)鲁0102执1号\n").encode()


def load(source, data):
    result = ingest.import_file(source, data, f"{source}.csv")
    assert result.ok, result.checked.errors
    return result


def one(model, **where):
    return db.session.scalars(select(model).filter_by(**where)).all()


def test_reimport_keeps_withdrawals_corrections_and_repairs_and_says_so(app, users, client, auth):
    with app.app_context():
        load("registry", registry_csv({USCC_A: "张三", USCC_B: "李四"}))
        load("tax_records", tax_csv(100_000))
        load("penalties", PENALTIES_CSV)
        load("list_entries", LISTS_CSV)
        tax = one(TaxRecord, uscc=USCC_A)[0]
        advert = one(Penalty, document_no="济市监罚〔2023〕1号")[0]
        env = one(Penalty, document_no="济环罚〔2023〕2号")[0]
        entry = one(ListEntry, uscc=USCC_A)[0]

        def uphold(source, record, outcome, **values):
            o = objections.raise_objection(1, record_source=source, record_id=record.id, kind="error",
                                           description="数据有误", actor_id=None)
            objections.move(o, "upheld", actor_id=staff_id(), resolution="核实有误", outcome=outcome,
                            new_values=values)

        uphold("tax_records", tax, "corrected", revenue="250000")
        uphold("penalties", advert, "corrected", document_no="济市监罚〔2023〕11号", fine="5000")  # a key column
        uphold("list_entries", entry, "withdrawn")
        r = repairs.apply(1, penalty_id=env.id, evidence="罚款已缴纳", commitment_accepted=True, actor_id=None)
        repairs.decide(r, approve=True, reason="", actor_id=None)
        today = workdays.today()
        assert credit.listed_usccs(today, [USCC_A]) == set()

        # The departments send the same files again; the tax office has meanwhile revised firm B's revenue.
        tax_result = load("tax_records", tax_csv(777_000))
        pen_result = load("penalties", PENALTIES_CSV)
        list_result = load("list_entries", LISTS_CSV)

        kept_tax = one(TaxRecord, uscc=USCC_A)
        assert [(t.id, t.revenue) for t in kept_tax] == [(tax.id, 250_000)]  # the correction stays
        assert one(TaxRecord, uscc=USCC_B)[0].revenue == 777_000  # undecided records are replaced as before
        penalties = {p.id: p for p in one(Penalty, uscc=USCC_A)}
        assert set(penalties) == {advert.id, env.id}  # no duplicate of the corrected one, same rows
        assert (penalties[advert.id].document_no, penalties[advert.id].fine) == ("济市监罚〔2023〕11号", 5000)
        assert penalties[env.id].repaired_on == today  # the repair stands
        assert one(ListEntry, uscc=USCC_A) == [] and credit.listed_usccs(today, [USCC_A]) == set()
        assert tax_result.kept == {"corrected": 1} and tax_result.rows_accepted == 1
        assert pen_result.kept == {"corrected": 1, "repair": 1} and pen_result.rows_accepted == 0
        assert list_result.kept == {"withdrawn": 1} and list_result.rows_accepted == 0

        # The department later fixes the 文号 itself: its row is the same corrected record, not a second one.
        fixed = load("penalties", PENALTIES_CSV.replace("济市监罚〔2023〕1号".encode(), "济市监罚〔2023〕11号".encode()))
        assert fixed.kept == {"corrected": 1, "repair": 1}
        assert sorted(p.id for p in one(Penalty, uscc=USCC_A)) == sorted([advert.id, env.id])

    # Through the upload page (a background job) the report says how many rows were kept and why.
    auth.login(users["commission"])
    token = client.csrf_token("/commission/data/import")
    page = client.post("/commission/data/import", data={"csrf_token": token, "source": "list_entries",
                                                        "file": (io.BytesIO(LISTS_CSV), "名单.csv")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "按决定保留：异议成立已撤下公示（不再导入） 1 行" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(ListEntry.id))) == 0


def test_a_record_under_an_open_objection_keeps_its_row_and_takes_the_new_values(app, users):
    with app.app_context():
        load("registry", registry_csv({USCC_A: "张三", USCC_B: "李四"}))
        load("tax_records", tax_csv(100_000))
        record = one(TaxRecord, uscc=USCC_B)[0]
        b = make_enterprise(uscc=USCC_B, name="济南另一家有限公司", legal_representative="李四")
        o = objections.raise_objection(b.id, record_source="tax_records", record_id=record.id, kind="error",
                                       description="营业收入少报", actor_id=None)
        result = load("tax_records", tax_csv(180_000))
        assert result.kept == {"under_review": 1}
        again = one(TaxRecord, uscc=USCC_B)
        assert [(t.id, t.revenue) for t in again] == [(record.id, 180_000)]
        assert objections.find_record(o.record_source, o.record_id).revenue == 180_000
        assert ("tax_records", record.id) in objections.under_review(b.id)


# ------------------------------------------------------------------- who represents a firm (法定代表人)

def test_a_listed_legal_representative_hits_every_firm_the_registry_says_they_represent(app, users):
    with app.app_context():
        # The firm declared 张三 at registration; the registry says 王五 represents it, and two other firms.
        load("registry", registry_csv({USCC_A: "王五", USCC_B: "王五", USCC_C: "王五"}))
        firm = db.session.get(Enterprise, 1)
        assert firm.legal_representative == "张三" and identity.legal_representative(firm) == "王五"
        day = workdays.today()
        joint.add_person_entry(person_name="张三", list_type="dishonest_judgment_debtor",
                               start_on=day - timedelta(days=10), end_on=None, document_no="(2026)鲁01执98号",
                               actor_id=None)
        assert credit.listed_usccs(day, [USCC_A, USCC_B, USCC_C]) == set()  # a typed name is not the registry's
        assert joint.serious_hits(firm, day) == []
        joint.add_person_entry(person_name="王五", list_type="dishonest_judgment_debtor",
                               start_on=day - timedelta(days=5), end_on=None, document_no="(2026)鲁01执99号",
                               actor_id=None)
        assert credit.listed_usccs(day, [USCC_A, USCC_B, USCC_C]) == {USCC_A, USCC_B, USCC_C}
        assert USCC_C in credit.listed_usccs(day)  # every firm the registry names, on the platform or not
        blocking = make_product(make_institution("联合惩戒银行"), name="严格产品", dishonesty_rule="block")
        expect_violation("不符合", _apply, 1, blocking)
        case = db.session.scalar(select(JointCase))
        assert (case.enterprise_id, case.via, case.document_no) == (1, "legal_representative", "(2026)鲁01执99号")


def test_a_firm_the_registry_names_no_representative_for_is_screened_by_the_declared_one(app, users):
    with app.app_context():
        load("registry", registry_csv({USCC_A: "", USCC_B: "李四"}))
        firm = db.session.get(Enterprise, 1)
        assert identity.legal_representative(firm) == "张三"
        day = workdays.today()
        joint.add_person_entry(person_name="张三", list_type="dishonest_judgment_debtor", start_on=day,
                               end_on=None, document_no="(2026)鲁01执97号", actor_id=None)
        assert credit.listed_usccs(day, [USCC_A, USCC_B]) == {USCC_A}
        assert [h.via for h in joint.serious_hits(firm, day)] == ["legal_representative"]


def test_staff_firm_page_shows_the_registry_representative(client, auth, users, app):
    with app.app_context():
        load("registry", registry_csv({USCC_A: "王五"}))
    auth.login(users["commission"])
    page = client.get("/commission/firms/1").get_data(as_text=True)
    assert "王五" in page and "张三" not in page
