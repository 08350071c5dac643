"""Indicators as of their period: a later registry file, a later credit repair or a later withdrawal never moves a
past month's figure or records; the month after the change moves. Expected values worked out in the comments."""
from datetime import UTC, date, datetime

import pytest

from marketplace import clock
from marketplace.extensions import db
from marketplace.models import CreditCommitment, Enterprise, ImportBatch, ListEntry, Penalty, TaxGrade
from marketplace.services import credit, indicators, ingest, objections, repairs

from .conftest import make_enterprise

A, B, C, D = "91370102MA3C4XKL85", "91370112MA3MFJ2X64", "91370103MA3N4QGK1H", "91370104MA3P0F0W9R"
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
HEADER = "统一社会信用代码,企业名称,所属区县,行业门类,企业规模,成立日期,注册资本,经营状态,数据截止日期"


def registry_file(rows, as_of: date) -> bytes:
    lines = [HEADER] + [f"{uscc},{name},历下区,C,小型,2015-01-01,1000000,{status},{as_of}" for uscc, name, status in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def batch(source):
    b = ImportBatch(source=source, file_name=f"{source}.csv", sha256="0" * 64, rows_accepted=0)
    db.session.add(b)
    db.session.flush()
    return b


def at(monkeypatch, *moment):
    monkeypatch.setattr(clock, "_source", lambda: datetime(*moment, tzinfo=UTC))


def figure(code, month):
    f = indicators.figure(code, indicators.Period(month))
    return f.numerator, f.denominator


def uscc_records(code, month):
    return [r["uscc"] for r in indicators.records(code, indicators.Period(month)).rows]


def test_a_later_registry_file_leaves_past_months_and_moves_the_months_after_it(app, monkeypatch):
    with app.app_context():
        at(monkeypatch, 2026, 10, 5, 2)
        # Registry A, 数据截止 30 Sep: 甲 and 乙 operating.
        result = ingest.import_file("registry", registry_file([(A, "甲", "存续"), (B, "乙", "存续")], date(2026, 9, 30)),
                                    "名录9月.csv")
        assert result.ok, result.checked.errors
        grades, lists = batch("tax_grades"), batch("list_entries")
        for uscc in (A, C):  # 甲 and 丙 A-grade for 2025 (in force from April 2026); both on a serious list
            db.session.add(TaxGrade(uscc=uscc, year=2025, grade="A", batch_id=grades.id))
            db.session.add(ListEntry(uscc=uscc, list_type="dishonest_judgment_debtor", start_on=date(2026, 1, 5),
                                     document_no="文号", batch_id=lists.id))
        db.session.commit()
        # October over {甲, 乙}: (十七) 甲 = 1 of 2; (二十四) 甲 = 1 of 2; (二十) over 2 firms.
        october = {code: (figure(code, OCT), uscc_records(code, OCT)) for code in ("十七", "二十四")}
        assert october == {"十七": ((1, 2), [A]), "二十四": ((1, 2), [A])}
        assert figure("二十", OCT)[1] == 2

        at(monkeypatch, 2026, 12, 3, 2)
        # Registry B, 数据截止 30 Nov: 甲 cancelled (注销), 乙 operating, 丙 and 丁 new (established 2015).
        result = ingest.import_file("registry", registry_file(
            [(A, "甲", "注销"), (B, "乙", "存续"), (C, "丙", "存续"), (D, "丁", "存续")], date(2026, 11, 30)), "名录11月.csv")
        assert result.ok, result.checked.errors
        # October regenerates the same: the registry as of 31 Oct is still A's (甲 operating; 丙 丁 not yet in it).
        assert {code: (figure(code, OCT), uscc_records(code, OCT)) for code in ("十七", "二十四")} == october
        assert figure("二十", OCT)[1] == 2
        # November reads B: {乙, 丙, 丁} operating; 丙 is the A-grade and listed firm: 1 of 3 each.
        assert (figure("十七", NOV), uscc_records("十七", NOV)) == ((1, 3), [C])
        assert (figure("二十四", NOV), uscc_records("二十四", NOV)) == ((1, 3), [C])
        assert figure("二十", NOV)[1] == 3
        # Re-importing B changes nothing (no status differs), and October still stands.
        ingest.import_file("registry", registry_file(
            [(A, "甲", "注销"), (B, "乙", "存续"), (C, "丙", "存续"), (D, "丁", "存续")], date(2026, 11, 30)), "名录11月.csv")
        assert figure("十七", OCT) == (1, 2) and figure("十七", NOV) == (1, 3)


@pytest.fixture
def governed(app):
    """甲 and 乙 operating and on the platform; 甲 has a penalty (一般, decided 1 Jan 2026, shown until the end of
    2027) and a serious-list entry; 乙 a serious-list entry."""
    with app.app_context():
        b = batch("registry")
        from marketplace.models import RegistryEnterprise

        for uscc in (A, B):
            db.session.add(RegistryEnterprise(uscc=uscc, name=uscc, region_code="370102", industry="C", size="small",
                                              operating_status="active", batch_id=b.id))
            make_enterprise(uscc, f"企业{uscc[-2:]}")
        pens, lists = batch("penalties"), batch("list_entries")
        db.session.add(Penalty(uscc=A, decided_on=date(2026, 1, 1), authority="市场监管局", category="广告",
                               severity="general", fine=50_000, document_no="济市监罚〔2026〕1号",
                               publication_end=date(2027, 12, 31), batch_id=pens.id))
        for uscc in (A, B):
            db.session.add(ListEntry(uscc=uscc, list_type="dishonest_judgment_debtor", start_on=date(2026, 3, 1),
                                     document_no=f"(2026)鲁0102执{uscc[-2:]}号", batch_id=lists.id))
        db.session.commit()
    return app


def test_repaired_and_withdrawn_records_stop_counting_from_that_day_only(governed, monkeypatch):
    app = governed
    with app.app_context():
        # Before anything changes, 31 Oct: 2 listed firms of 2; shown: 1 penalty + 2 list entries = 3.
        assert figure("二十四", OCT) == (2, 2)
        assert figure("三十五", OCT) == (0, 3)

        at(monkeypatch, 2026, 11, 10, 2)  # 10 Nov: 乙's entry withdrawn (异议成立，撤下公示), 甲's penalty repaired
        firm_a, firm_b = (db.session.scalar(db.select(Enterprise.id).where(Enterprise.uscc == u)) for u in (A, B))
        entry_b = db.session.scalar(db.select(ListEntry.id).where(ListEntry.uscc == B))
        o = objections.raise_objection(firm_b, record_source="list_entries", record_id=entry_b, kind="not_public",
                                       description="已履行完毕", actor_id=None)
        objections.move(o, "upheld", actor_id=None, resolution="撤下公示", outcome="withdrawn")
        penalty = db.session.scalar(db.select(Penalty).where(Penalty.uscc == A))
        repair = repairs.apply(firm_a, penalty_id=penalty.id, evidence="罚款已缴清", commitment_accepted=True,
                               actor_id=None)
        repairs.decide(repair, approve=True, reason="", actor_id=None)
        assert db.session.get(Penalty, penalty.id).repaired_on == date(2026, 11, 10)
        assert db.session.get(ListEntry, entry_b) is None  # withdrawn: out of the published table

        # October is as it was: both changes come after 31 Oct, records included.
        assert figure("二十四", OCT) == (2, 2) and uscc_records("二十四", OCT) == sorted([A, B])
        assert figure("三十五", OCT) == (0, 3)
        # November (30 Nov): 乙 off the list from 10 Nov; 甲's penalty no longer shown; the upheld objection
        # on a public record resolved in November is valid: 1 ÷ (甲's list entry) 1.
        assert figure("二十四", NOV) == (1, 2) and uscc_records("二十四", NOV) == [A]
        assert figure("三十五", NOV) == (1, 1)
        # The lists read the same owner: 乙 was listed on 31 Oct, is not today.
        assert credit.listed_usccs(date(2026, 10, 31), [A, B]) == {A, B}
        assert credit.listed_usccs(clock.today(), [A, B]) == {A}
        assert [e["document_no"] for e in credit.list_entries_of(B, date(2026, 10, 31))] == [f"(2026)鲁0102执{B[-2:]}号"]
        assert credit.list_entries_of(B, clock.today()) == []
        assert db.session.scalar(db.select(db.func.count(CreditCommitment.id))) == 1  # the repair's commitment


def test_a_registry_batch_without_its_bad_codes_is_not_available_until_backfilled_from_its_file(app, runner, tmp_path):
    # 4 codes: 甲, 乙, a code with a wrong check character, 甲 again → 1 invalid + 1 repeated of 4.
    data = registry_file([(A, "甲", "存续"), (B, "乙", "存续"), ("91370102MA3C4XKL86", "错", "存续"),
                          (A, "甲", "存续")], date(2026, 10, 20))
    with app.app_context():
        result = ingest.import_file("registry", data, "名录.csv")
        assert result.ok and figure("九", OCT) == (2, 4)
        # As a batch imported before each bad code was kept: counts on the batch, no records.
        from marketplace.models import RegistryCodeFinding

        db.session.execute(db.delete(RegistryCodeFinding))
        db.session.commit()
        f = indicators.figure("九", indicators.Period(OCT))
        assert not f.available and f.value is None, "a figure that cannot be traced is not given"
        assert "错码1个、重码1个" in f.missing[0] and f"flask registry-findings {result.batch_id}" in f.missing[0]
    other = tmp_path / "其他.csv"
    other.write_bytes(data.replace(b"2026-10-20", b"2026-10-21"))
    refused = runner.invoke(args=["registry-findings", str(result.batch_id), str(other)])
    assert refused.exit_code == 2 and "SHA-256 不一致" in refused.output
    original = tmp_path / "名录.csv"
    original.write_bytes(data)
    done = runner.invoke(args=["registry-findings", str(result.batch_id), str(original)])
    assert done.exit_code == 0 and "已补录重错码明细 2 条" in done.output
    with app.app_context():
        assert figure("九", OCT) == (2, 4)
        assert [(r["line"], r["problem"]) for r in indicators.records("九", indicators.Period(OCT)).rows] == \
            [(4, "错码"), (5, "重码")]
    again = runner.invoke(args=["registry-findings", str(result.batch_id), str(original)])
    assert again.exit_code == 2 and "无需补录" in again.output


def test_an_older_registry_file_cannot_rewrite_a_newer_one(app):
    with app.app_context():
        assert ingest.import_file("registry", registry_file([(A, "甲", "存续")], date(2026, 11, 30)), "11月.csv").ok
        older = ingest.import_file("registry", registry_file([(A, "甲", "注销")], date(2026, 9, 30)), "9月.csv")
        assert not older.ok and "较旧的文件不能覆盖" in older.checked.errors["问题"].iloc[0]
        from marketplace.models import RegistryEnterprise, RegistryStatusChange

        assert db.session.scalar(db.select(RegistryEnterprise.operating_status)) == "active"
        assert db.session.scalar(db.select(db.func.count(RegistryStatusChange.id))) == 0
