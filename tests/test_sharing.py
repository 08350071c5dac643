"""指标十一: the feed to the national platform is incremental, idempotent, logged and re-sendable."""
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    Application,
    AuditLog,
    Enterprise,
    FinancingNeed,
    Institution,
    ShareBatch,
    SharedRecord,
)
from marketplace.services import sharing

from .conftest import make_enterprise, make_institution, make_product

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def _setup(app):
    with app.app_context():
        firm = db.session.scalar(select(Enterprise)) or make_enterprise()  # the `users` fixture may have made them
        inst = db.session.scalar(select(Institution)) or make_institution()
        product = make_product(inst)
        db.session.add(FinancingNeed(enterprise_id=firm.id, amount=800_000, term_months=12, purpose="周转",
                                     guarantee="credit", status="open", created_at=datetime(2026, 10, 3, tzinfo=UTC)))
        loan = Application(enterprise_id=firm.id, product_id=product.id, institution_id=inst.id, amount=800_000,
                           term_months=12, status="granted", granted_amount=600_000, granted_rate=Decimal("3.650"),
                           granted_term=12, decided_at=datetime(2026, 10, 20, 2, tzinfo=UTC))
        db.session.add(loan)
        db.session.commit()
        return loan.id


def lines(batch):
    return [json.loads(line) for line in sharing.batch_file(batch, "jsonl").read_text(encoding="utf-8").splitlines()]


def test_incremental_idempotent_and_updates(app):
    loan_id = _setup(app)
    with app.app_context():
        first = sharing.produce(OCT, actor_id=None)
        assert first.counts == {"financing_need": 1, "credit_grant": 1, "disbursement": 0}
        grant = next(r for r in lines(first) if r["record_type"] == "credit_grant")
        assert grant == {**grant, "op": "new", "amount": 600_000, "rate": "3.650", "uscc": "91370102MA3C4XKL85",
                         "institution": "测试银行", "date": "2026-10-20", "guarantee": "credit"}
        with pytest.raises(sharing.NothingNew, match="没有新增或变更的记录"):  # no empty 0/0/0 batch
            sharing.produce(OCT, actor_id=None)
        assert db.session.scalar(select(func.count(ShareBatch.id))) == 1, "nothing is sent twice"
        # November: the loan is disbursed — the grant changed (status) and a disbursement appears.
        loan = db.session.get(Application, loan_id)
        loan.status, loan.disbursed_amount, loan.disbursed_on = "disbursed", 500_000, date(2026, 11, 2)
        db.session.commit()
        with pytest.raises(sharing.NothingNew):  # not before the month it happened
            sharing.produce(OCT, actor_id=None)
        nov = sharing.produce(NOV, actor_id=None)
        ops = {(r["record_type"], r["op"]) for r in lines(nov)}
        assert ops == {("credit_grant", "update"), ("disbursement", "new")}
        assert db.session.scalar(select(func.count(SharedRecord.id))) == 4
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "share_batch.produced")) == 2


def test_an_earlier_month_after_a_later_one_never_sends_an_older_version(app):
    loan_id = _setup(app)
    with app.app_context():
        loan = db.session.get(Application, loan_id)
        loan.status, loan.disbursed_amount, loan.disbursed_on = "disbursed", 500_000, date(2026, 11, 2)
        db.session.commit()
        nov = sharing.produce(NOV, actor_id=None)  # need, grant (status disbursed), disbursement: all new
        assert {(r["record_type"], r["op"], r["status"]) for r in lines(nov)} == {
            ("financing_need", "new", "open"), ("credit_grant", "new", "disbursed"),
            ("disbursement", "new", "disbursed")}
        # October produced afterwards: as of 31 Oct the grant's status was "granted" — an older version of a
        # record November already sent. It is not re-sent as an update; with nothing never-sent, no batch.
        with pytest.raises(sharing.NothingNew):
            sharing.produce(OCT, actor_id=None)
        # A need published in October that was never sent does go out in a late October batch, as new.
        firm_id = db.session.scalar(select(Enterprise.id))
        db.session.add(FinancingNeed(enterprise_id=firm_id, amount=300_000, term_months=6, purpose="备货",
                                     guarantee="credit", status="open", created_at=datetime(2026, 10, 9, tzinfo=UTC)))
        db.session.commit()
        late = sharing.produce(OCT, actor_id=None)
        assert [(r["record_type"], r["op"]) for r in lines(late)] == [("financing_need", "new")]


def test_batch_is_logged_and_resendable(client, auth, users, app):
    _setup(app)
    auth.login(users["commission"])
    response = client.submit("/commission/sharing?month=2026-10", {}, page="/commission/sharing?month=2026-10")
    assert response.status_code == 302
    with app.app_context():
        batch = db.session.scalar(select(ShareBatch))
        assert batch.created_by is not None and len(batch.sha256) == 64
        batch_id, stored = batch.id, sharing.batch_file(batch, "jsonl").read_bytes()
        assert batch.content is None and hashlib.sha256(stored).hexdigest() == batch.sha256
    jsonl = client.get(f"/commission/sharing/{batch_id}.jsonl")
    assert jsonl.data == stored and len(stored.splitlines()) == 2, "the same bytes every time"
    csv = client.get(f"/commission/sharing/{batch_id}.csv").data
    assert csv.startswith(b"\xef\xbb\xbf") and csv.decode("utf-8-sig").splitlines()[0] == ",".join(sharing.FIELDS)
    assert "2026年10月批次（第 1 批）已于" in client.get("/commission/indicators?month=2026-10").get_data(as_text=True)
    client.submit(f"/commission/sharing/{batch_id}/delivered", {}, page="/commission/sharing")
    with app.app_context():
        assert db.session.get(ShareBatch, batch_id).delivered_at is not None


def test_indicator_page_says_when_batch_is_missing(client, auth, users):
    auth.login(users["commission"])
    assert "2026年10月批次尚未生成" in client.get("/commission/indicators?month=2026-10").get_data(as_text=True)


def test_share_feed_command_writes_files(runner, app, tmp_path):
    _setup(app)
    result = runner.invoke(args=["share-feed", "--month", "2026-10", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "share-1.jsonl").read_text().splitlines()) == 2
    assert (tmp_path / "share-1.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "融资需求 1 条，授信 1 条，放款 0 条" in result.output
    again = runner.invoke(args=["share-feed", "--month", "2026-10", "--out", str(tmp_path / "again")])
    assert again.exit_code == 0 and "没有新增或变更的记录" in again.output
    assert not (tmp_path / "again").exists(), "no empty batch, no files"


def test_the_page_counts_never_sent_records_in_sql_without_loading_them(client, auth, users, app):
    from .test_query_counts import statements

    loan_id = _setup(app)
    auth.login(users["commission"])
    with statements(app) as sent:
        page = client.get("/commission/sharing?month=2026-10").get_data(as_text=True)
    assert "从未发送的记录 2 条（融资需求 1，授信 1，放款 0）" in page
    reads = [s for s in sent if "financing_needs" in s or "applications" in s]
    assert reads and all(s.lstrip().upper().startswith("SELECT COUNT") for s in reads), \
        "needs and applications are counted in SQL, never loaded row by row"
    with app.app_context():
        sharing.produce(OCT, actor_id=None)
        loan = db.session.get(Application, loan_id)
        loan.disbursed_amount, loan.disbursed_on, loan.status = 500_000, date(2026, 10, 25), "disbursed"
        db.session.commit()
        assert sharing.new_counts(OCT) == {"financing_need": 0, "credit_grant": 0, "disbursement": 1}
        assert sharing.new_counts(date(2026, 9, 1)) == {"financing_need": 0, "credit_grant": 0, "disbursement": 0}


def test_a_batch_streams_chunk_by_chunk_to_a_file_and_is_the_same_as_in_one_piece(app, monkeypatch):
    loan_id = _setup(app)
    with app.app_context():
        firm_id = db.session.scalar(select(Enterprise.id))
        for day in (4, 5, 6):
            db.session.add(FinancingNeed(enterprise_id=firm_id, amount=100_000 * day, term_months=6, purpose="备货",
                                         guarantee="credit", status="open",
                                         created_at=datetime(2026, 10, day, tzinfo=UTC)))
        db.session.commit()
        whole = [{k: v for k, v in r.items() if k != "_hash"} for r in sharing.pending(OCT)]
        monkeypatch.setattr(sharing, "CHUNK", 1)  # every record its own chunk: the file is the same
        first = sharing.produce(OCT, actor_id=None)
        assert lines(first) == whole and first.counts == {"financing_need": 4, "credit_grant": 1, "disbursement": 0}
        assert first.stored_file == f"share-{first.id}.jsonl"
        folder = Path(app.instance_path) / sharing.FOLDER
        assert sorted(p.name for p in folder.iterdir()) == [f"share-{first.id}.csv", f"share-{first.id}.jsonl"]
        # the version comparison works chunk by chunk too: only the changed grant and the new disbursement
        loan = db.session.get(Application, loan_id)
        loan.status, loan.disbursed_amount, loan.disbursed_on = "disbursed", 500_000, date(2026, 10, 28)
        db.session.commit()
        second = sharing.produce(OCT, actor_id=None)
        assert [(r["record_type"], r["op"]) for r in lines(second)] == [("credit_grant", "update"),
                                                                        ("disbursement", "new")]
        csv_rows = sharing.as_csv(second).decode("utf-8-sig").splitlines()
        assert len(csv_rows) == 3 and csv_rows[1].startswith("credit_grant,update,")


def test_a_failed_batch_leaves_no_file_no_row_and_no_sent_version(app, monkeypatch):
    _setup(app)
    with app.app_context():
        def broken(*a, **kw):
            raise RuntimeError("disk full")
        monkeypatch.setattr(sharing.audit, "record", broken)
        with pytest.raises(RuntimeError):
            sharing.produce(OCT, actor_id=None)
        assert db.session.scalar(select(func.count(ShareBatch.id))) == 0
        assert db.session.scalar(select(func.count(SharedRecord.id))) == 0
        assert not list((Path(app.instance_path) / sharing.FOLDER).iterdir()), "no file, no partial file"
        monkeypatch.undo()
        assert sharing.produce(OCT, actor_id=None).counts["financing_need"] == 1  # the records were not spent


def test_batches_kept_in_the_database_before_0093_still_download(client, auth, users, app):
    content = '{"record_type": "financing_need", "op": "new", "record_id": 7, "enterprise_name": "老批次"}\n'
    with app.app_context():
        old = ShareBatch(period=date(2026, 9, 1), counts={"financing_need": 1}, content=content,
                         sha256=hashlib.sha256(content.encode()).hexdigest())
        db.session.add(old)
        db.session.commit()
        old_id = old.id
    auth.login(users["commission"])
    assert client.get(f"/commission/sharing/{old_id}.jsonl").data == content.encode()
    csv = client.get(f"/commission/sharing/{old_id}.csv").data.decode("utf-8-sig").splitlines()
    assert csv[0] == ",".join(sharing.FIELDS) and csv[1].startswith("financing_need,new,7,,老批次")


def test_a_missing_batch_file_is_said_not_served(client, auth, users, app):
    _setup(app)
    with app.app_context():
        batch = sharing.produce(OCT, actor_id=None)
        batch_id = batch.id
        sharing.batch_file(batch, "jsonl").unlink()
    auth.login(users["commission"])
    response = client.get(f"/commission/sharing/{batch_id}.jsonl", follow_redirects=True)
    assert f"第 {batch_id} 批的文件 share-{batch_id}.jsonl 不在实例目录" in response.get_data(as_text=True)


def test_the_indicator_dashboard_never_reads_batch_contents(client, auth, users, app):
    from .test_query_counts import statements

    with app.app_context():
        db.session.add(ShareBatch(period=OCT, counts={}, content="x" * 1000, sha256="0" * 64))
        db.session.commit()
    auth.login(users["commission"])
    with statements(app) as sent:
        page = client.get("/commission/indicators?month=2026-10").get_data(as_text=True)
    assert "2026年10月批次（第 1 批）" in page
    assert [s for s in sent if "share_batches" in s] and not [s for s in sent if "content" in s]


def test_a_version_another_batch_sent_meanwhile_refuses_the_batch_and_leaves_nothing(app, monkeypatch):
    _setup(app)
    with app.app_context():
        first = sharing.produce(OCT, actor_id=None)
        # as if a second batch had compared before the first committed: it tries to send the same versions
        monkeypatch.setattr(sharing, "_unsent", lambda chunk, behind: (
            {**r, "op": "new", "_hash": sharing._hash(r)} for r in chunk))
        with pytest.raises(sharing.RuleViolation, match="另一批次刚刚发送了其中部分记录"):
            sharing.produce(OCT, actor_id=None)
        assert db.session.scalar(select(func.count(ShareBatch.id))) == 1
        assert db.session.scalar(select(func.count(SharedRecord.id))) == 2
        folder = Path(app.instance_path) / sharing.FOLDER
        assert sorted(p.name for p in folder.iterdir()) == [f"share-{first.id}.csv", f"share-{first.id}.jsonl"]
