"""指标十一: the feed of financing needs, credit grants (授信) and disbursements (放款) to the national
信易贷 platform. Incremental and idempotent: each batch carries the records whose current content was never
sent (op "new" the first time, "update" when a sent record changed); a version is never sent twice, which
a unique constraint guarantees even when two staff produce a batch at once. A record's version never goes
backwards: a batch for a month earlier than one already produced carries only records never sent (op "new"),
never an older state of a record a later batch sent. A batch with nothing in it is not produced. Batches are logged and kept,
so any batch can be downloaded and sent again byte for byte.

A batch is produced in one pass over the records, a chunk at a time (keyset pagination on id, so memory stays
bounded and no parameter list grows with the city): each chunk is compared with the versions already sent,
its new lines are appended to the batch's JSON Lines file under the instance folder (share_batches/) and its
versions recorded. The database keeps the batch's metadata (month, counts, SHA-256 of the file, who, when,
delivered); the CSV is written from the JSON Lines file once it is complete. Batches produced before
migration 0093 keep their JSON Lines in the `content` column and are still served from it.

Record schema (JSON Lines and CSV, one record a line; money in yuan, rates in annual %, dates ISO 8601):
  record_type   financing_need | credit_grant | disbursement
  op            new | update
  record_id     the platform's id of the need or application
  uscc          统一社会信用代码 of the firm;  enterprise_name
  institution   lender name (empty for a need);  institution_licence  licence number
  product       product name (empty for a need)
  date          need published / credit granted / loan disbursed (Asia/Shanghai date)
  amount        need amount / granted amount / disbursed amount (yuan)
  term_months   need term / granted term
  rate          granted annual rate % (empty for a need)
  guarantee     credit | mortgage | guarantee | pledge (offered by the need, or the product's kind)
  status        need status at the time of the batch; application status as of the period's end
"""
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import codes
from ..clock import now
from ..extensions import db
from ..models import Application, Enterprise, FinancingNeed, Institution, Product, ShareBatch, SharedRecord
from . import RuleViolation, audit, bulk, csv_files
from .applications import GRANTED_STATUSES
from .indicators import Period
from .workdays import SHANGHAI

FIELDS = ["record_type", "op", "record_id", "uscc", "enterprise_name", "institution", "institution_licence",
          "product", "date", "amount", "term_months", "rate", "guarantee", "status"]
RECORD_LABELS = {"financing_need": "融资需求", "credit_grant": "授信", "disbursement": "放款"}
PRODUCT_GUARANTEE = codes.PRODUCT_GUARANTEE
CHUNK = 5_000  # needs or applications read (and compared with what was sent) per step
FOLDER = "share_batches"  # under the instance folder: share-<id>.jsonl and share-<id>.csv


def _need_record(need) -> list[dict]:
    return [{"record_type": "financing_need", "record_id": need.id, "uscc": need.uscc,
             "enterprise_name": need.name, "institution": "", "institution_licence": "", "product": "",
             "date": need.created_at.astimezone(SHANGHAI).date().isoformat(), "amount": need.amount,
             "term_months": need.term_months, "rate": "", "guarantee": need.guarantee, "status": need.status}]


def _application_records(app, end: Period) -> list[dict]:
    base = {"uscc": app.uscc, "enterprise_name": app.enterprise_name, "institution": app.institution,
            "institution_licence": app.licence_no, "product": app.product,
            "guarantee": PRODUCT_GUARANTEE.get(app.kind, app.kind), "status": _status_at(app, end.last_day),
            "record_id": app.id, "rate": str(app.granted_rate) if app.granted_rate is not None else ""}
    out = [{**base, "record_type": "credit_grant", "date": app.decided_at.astimezone(SHANGHAI).date().isoformat(),
            "amount": app.granted_amount, "term_months": app.granted_term}]
    if app.disbursed_on is not None and app.disbursed_on <= end.last_day:
        out.append({**base, "record_type": "disbursement", "date": app.disbursed_on.isoformat(),
                    "amount": app.disbursed_amount, "term_months": app.granted_term})
    return out


def _record_chunks(end: Period) -> Iterator[list[dict]]:
    """Every need, grant and disbursement as it stands up to the period's end, CHUNK rows at a time: plain
    rows of the columns the feed carries (never ORM objects), paged by id so a chunk is all that is held."""
    needs = (select(FinancingNeed.id, FinancingNeed.created_at, FinancingNeed.amount, FinancingNeed.term_months,
                    FinancingNeed.guarantee, FinancingNeed.status, Enterprise.uscc, Enterprise.name)
             .join(Enterprise).where(FinancingNeed.created_at < end.end_instant))
    yield from _paged(needs, FinancingNeed.id, _need_record)
    apps = (select(Application.id, Application.status, Application.granted_rate, Application.decided_at,
                   Application.granted_amount, Application.granted_term, Application.disbursed_on,
                   Application.disbursed_amount, Application.closed_on, Enterprise.uscc,
                   Enterprise.name.label("enterprise_name"), Institution.name.label("institution"),
                   Institution.licence_no, Product.name.label("product"), Product.kind)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Institution, Institution.id == Application.institution_id)
            .join(Product, Product.id == Application.product_id)
            .where(Application.status.in_(GRANTED_STATUSES), Application.decided_at < end.end_instant))
    yield from _paged(apps, Application.id, lambda row: _application_records(row, end))


def _paged(stmt, id_column, to_records) -> Iterator[list[dict]]:
    last = 0
    while rows := db.session.execute(stmt.where(id_column > last).order_by(id_column).limit(CHUNK)).all():
        last = rows[-1].id
        yield [record for row in rows for record in to_records(row)]


def _status_at(app, last_day: date) -> str:
    """The application's status as it stood at the end of `last_day`, from its dated steps."""
    if app.disbursed_on is None or app.disbursed_on > last_day:
        return app.status if app.status in ("granted", "confirmed") else "granted"
    if app.status in ("repaid", "defaulted") and (app.closed_on is None or app.closed_on > last_day):
        return "disbursed"
    return app.status


def _hash(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class NothingNew(RuleViolation):
    """No record is new or changed since the last batch: no empty batch is made."""


def latest_period() -> date | None:
    return db.session.scalar(select(func.max(ShareBatch.period)))


def pending(month: date) -> Iterator[dict]:
    """The records the next batch for `month` would carry, each with op new/update, chunk by chunk. For a
    month earlier than the latest batch's, only records never sent: an update from then would be older than
    what was sent."""
    latest = latest_period()
    behind = latest is not None and month.replace(day=1) < latest
    for chunk in _record_chunks(Period(month, "cumulative")):
        yield from _unsent(chunk, behind)


def _unsent(chunk: list[dict], behind: bool) -> Iterator[dict]:
    """The chunk's records whose current content was never sent, looked up by the chunk's id range."""
    ids = [r["record_id"] for r in chunk]
    sent: dict = {}
    for t, i, h in db.session.execute(
            select(SharedRecord.record_type, SharedRecord.record_id, SharedRecord.content_hash).where(
                SharedRecord.record_type.in_({r["record_type"] for r in chunk}),
                SharedRecord.record_id.between(min(ids), max(ids)))):
        sent.setdefault((t, i), set()).add(h)
    for rec in chunk:
        key = (rec["record_type"], rec["record_id"])
        h = _hash(rec)
        if h in sent.get(key, ()) or (behind and key in sent):
            continue
        yield {**rec, "op": "update" if key in sent else "new", "_hash": h}


def new_counts(month: date) -> dict[str, int]:
    """How many records up to the month's end were never sent, per record type — counted in SQL (the page
    shows it on every view). Changed contents of records already sent (op "update") are found when the
    batch is produced, which compares every record's content with the versions sent."""
    end = Period(month, "cumulative")

    def never_sent(record_type: str, record_id):
        return ~select(SharedRecord.id).where(SharedRecord.record_type == record_type,
                                              SharedRecord.record_id == record_id).exists()
    granted = (Application.status.in_(GRANTED_STATUSES), Application.decided_at < end.end_instant)
    return {
        "financing_need": db.session.scalar(select(func.count(FinancingNeed.id)).where(
            FinancingNeed.created_at < end.end_instant, never_sent("financing_need", FinancingNeed.id))) or 0,
        "credit_grant": db.session.scalar(select(func.count(Application.id)).where(
            *granted, never_sent("credit_grant", Application.id))) or 0,
        "disbursement": db.session.scalar(select(func.count(Application.id)).where(
            *granted, Application.disbursed_on <= end.last_day, never_sent("disbursement", Application.id))) or 0,
    }


def _folder() -> Path:
    path = Path(current_app.instance_path) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def produce(month: date, actor_id: int | None) -> ShareBatch:
    """Log and keep a batch of everything not yet sent up to the month's end; nothing new → NothingNew.
    Streamed: each chunk's lines go to the file and its versions to shared_records as they are found; the
    files get their final names just before the one commit, and a failure removes them (nothing half-made)."""
    folder = _folder()
    batch = ShareBatch(period=month.replace(day=1), counts={}, sha256="", created_by=actor_id)
    db.session.add(batch)
    part = folder / f".{uuid.uuid4().hex}.part"
    written: list[Path] = []
    try:
        db.session.flush()
        counts, digest = dict.fromkeys(RECORD_LABELS, 0), hashlib.sha256()
        with part.open("wb") as out:
            chunk: list[dict] = []
            for rec in pending(month):
                line = (json.dumps({k: rec[k] for k in FIELDS}, ensure_ascii=False) + "\n").encode()
                out.write(line)
                digest.update(line)
                counts[rec["record_type"]] += 1
                chunk.append({"batch_id": batch.id, "record_type": rec["record_type"],
                              "record_id": rec["record_id"], "content_hash": rec["_hash"]})
                if len(chunk) >= CHUNK:
                    _record_sent(chunk)
                    chunk = []
            _record_sent(chunk)
        if not any(counts.values()):
            raise NothingNew(f"截至{month:%Y年%m月}末没有新增或变更的记录，无需生成批次。")
        jsonl, csv_path = folder / f"share-{batch.id}.jsonl", folder / f"share-{batch.id}.csv"
        os.replace(part, jsonl)
        written.append(jsonl)
        with jsonl.open(encoding="utf-8", newline="\n") as lines, csv_path.open("w", encoding="utf-8", newline="") as out:
            written.append(csv_path)
            csv_files.write_to(out, FIELDS, _csv_rows(lines))
        batch.counts, batch.sha256, batch.stored_file = counts, digest.hexdigest(), jsonl.name
        audit.record(actor_id, "share_batch.produced", batch, period=batch.period, counts=counts, sha256=batch.sha256)
        db.session.commit()
    except BaseException as e:
        db.session.rollback()
        _remove(part, *written)
        # a version another batch has just sent: wrapped by SQLAlchemy, or the driver's own from COPY
        if isinstance(e, IntegrityError | db.engine.dialect.dbapi.IntegrityError):
            raise RuleViolation("另一批次刚刚发送了其中部分记录，请刷新后重试。") from None
        raise
    return batch


def _record_sent(versions: list[dict]) -> None:
    """The versions a batch sends, through the one bulk writer (COPY on PostgreSQL) in the batch's transaction."""
    bulk.write_frame(db.session.connection(), SharedRecord.__table__, pd.DataFrame(versions))


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _csv_rows(lines) -> Iterator[list]:
    # Records are separated by "\n" only: json.dumps escapes it inside strings, but not U+2028 and the
    # other characters str.splitlines() would also split on (a firm name holding one broke the batch).
    for line in lines:
        if line.strip():
            record = json.loads(line)
            yield [record.get(f) for f in FIELDS]


def mark_delivered(batch: ShareBatch, actor_id: int | None) -> ShareBatch:
    batch.delivered_at, batch.delivered_by = now(), actor_id
    audit.record(actor_id, "share_batch.delivered", batch)
    db.session.commit()
    return batch


class BatchFileMissing(RuleViolation):
    """The batch's file is not in the instance folder (restored from a backup without it?)."""


def batch_file(batch: ShareBatch, fmt: str) -> Path | bytes:
    """What the batch's download serves: its stored file (fmt jsonl or csv); for a batch produced before
    migration 0093, its JSON Lines kept in the database (and the CSV made from them)."""
    if batch.stored_file is None:
        return batch.content.encode() if fmt == "jsonl" else as_csv(batch)
    path = _folder() / Path(batch.stored_file).with_suffix(f".{fmt}").name
    if not path.is_file():
        raise BatchFileMissing(f"第 {batch.id} 批的文件 {path.name} 不在实例目录的 {FOLDER}/ 中，无法下载。"
                               f"请从备份恢复该目录（文件的 SHA-256 应为 {batch.sha256}）。")
    return path


def as_csv(batch: ShareBatch) -> bytes:
    """The batch's records as CSV (UTF-8 with BOM), the same lines as its JSON Lines file."""
    if batch.stored_file is not None:
        source = batch_file(batch, "csv")
        return source.read_bytes()
    return csv_files.write(FIELDS, _csv_rows(batch.content.split("\n")))


def last_batch_for(month: date) -> ShareBatch | None:
    return db.session.scalar(select(ShareBatch).where(ShareBatch.period == month.replace(day=1))
                             .order_by(ShareBatch.id.desc()).limit(1))
