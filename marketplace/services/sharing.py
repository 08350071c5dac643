"""指标十一: the feed of financing needs, credit grants (授信) and disbursements (放款) to the national
信易贷 platform. Incremental and idempotent: each batch carries the records whose current content was never
sent (op "new" the first time, "update" when a sent record changed); a version is never sent twice, which
a unique constraint guarantees even when two staff produce a batch at once. A record's version never goes
backwards: a batch for a month earlier than one already produced carries only records never sent (op "new"),
never an older state of a record a later batch sent. A batch with nothing in it is not produced. Batches are logged and kept,
so any batch can be downloaded and sent again byte for byte.

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
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import codes
from ..clock import now
from ..extensions import db
from ..models import Application, Enterprise, FinancingNeed, Institution, Product, ShareBatch, SharedRecord
from . import RuleViolation, audit, csv_files
from .applications import GRANTED_STATUSES
from .indicators import Period
from .workdays import SHANGHAI

FIELDS = ["record_type", "op", "record_id", "uscc", "enterprise_name", "institution", "institution_licence",
          "product", "date", "amount", "term_months", "rate", "guarantee", "status"]
RECORD_LABELS = {"financing_need": "融资需求", "credit_grant": "授信", "disbursement": "放款"}
PRODUCT_GUARANTEE = codes.PRODUCT_GUARANTEE


def _records(end: Period) -> list[dict]:
    """Every need, grant and disbursement as it stands, up to the period's end."""
    out = []
    # Plain rows of the columns the feed carries, never ORM objects: a city has 100,000s of records.
    needs = db.session.execute(
        select(FinancingNeed.id, FinancingNeed.created_at, FinancingNeed.amount, FinancingNeed.term_months,
               FinancingNeed.guarantee, FinancingNeed.status, Enterprise.uscc, Enterprise.name).join(Enterprise)
        .where(FinancingNeed.created_at < end.end_instant).order_by(FinancingNeed.id))
    for need in needs:
        uscc, name = need.uscc, need.name
        out.append({"record_type": "financing_need", "record_id": need.id, "uscc": uscc, "enterprise_name": name,
                    "institution": "", "institution_licence": "", "product": "",
                    "date": need.created_at.astimezone(SHANGHAI).date().isoformat(), "amount": need.amount,
                    "term_months": need.term_months, "rate": "", "guarantee": need.guarantee,
                    "status": need.status})
    apps = db.session.execute(
        select(Application.id, Application.status, Application.granted_rate, Application.decided_at,
               Application.granted_amount, Application.granted_term, Application.disbursed_on,
               Application.disbursed_amount, Application.closed_on,
               Enterprise.uscc, Enterprise.name, Institution.name, Institution.licence_no, Product.name,
               Product.kind)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Institution, Institution.id == Application.institution_id)
        .join(Product, Product.id == Application.product_id)
        .where(Application.status.in_(GRANTED_STATUSES), Application.decided_at < end.end_instant)
        .order_by(Application.id))
    for row in apps:
        app, (uscc, name, inst, licence, product, kind) = row, row[-6:]
        base = {"uscc": uscc, "enterprise_name": name, "institution": inst, "institution_licence": licence,
                "product": product, "guarantee": PRODUCT_GUARANTEE.get(kind, kind),
                "status": _status_at(app, end.last_day),
                "record_id": app.id, "rate": str(app.granted_rate) if app.granted_rate is not None else ""}
        out.append({**base, "record_type": "credit_grant",
                    "date": app.decided_at.astimezone(SHANGHAI).date().isoformat(),
                    "amount": app.granted_amount, "term_months": app.granted_term})
        if app.disbursed_on is not None and app.disbursed_on <= end.last_day:
            out.append({**base, "record_type": "disbursement", "date": app.disbursed_on.isoformat(),
                        "amount": app.disbursed_amount, "term_months": app.granted_term})
    return out


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


def pending(month: date) -> list[dict]:
    """The records the next batch for `month` would carry, each with op new/update. For a month earlier than
    the latest batch's, only records never sent: an update from then would be older than what was sent."""
    current = _records(Period(month, "cumulative"))
    sent = {(t, i): hashes for t, i, hashes in _sent_versions()}
    latest = latest_period()
    behind = latest is not None and month.replace(day=1) < latest
    out = []
    for rec in current:
        key = (rec["record_type"], rec["record_id"])
        h = _hash(rec)
        if h in sent.get(key, set()) or (behind and key in sent):
            continue
        out.append({**rec, "op": "update" if key in sent else "new", "_hash": h})
    return out


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


def _sent_versions():
    rows = db.session.execute(select(SharedRecord.record_type, SharedRecord.record_id, SharedRecord.content_hash))
    grouped: dict = {}
    for t, i, h in rows:
        grouped.setdefault((t, i), set()).add(h)
    return [(t, i, hs) for (t, i), hs in grouped.items()]


def produce(month: date, actor_id: int | None) -> ShareBatch:
    """Log and keep a batch of everything not yet sent up to the month's end; nothing new → NothingNew."""
    records = pending(month)
    if not records:
        raise NothingNew(f"截至{month:%Y年%m月}末没有新增或变更的记录，无需生成批次。")
    lines = [json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) for r in records]
    content = "\n".join(lines) + ("\n" if lines else "")
    counts = {t: sum(1 for r in records if r["record_type"] == t)
              for t in ("financing_need", "credit_grant", "disbursement")}
    batch = ShareBatch(period=month.replace(day=1), counts=counts, content=content, created_by=actor_id,
                       sha256=hashlib.sha256(content.encode()).hexdigest())
    db.session.add(batch)
    try:
        db.session.flush()
        db.session.add_all(SharedRecord(batch_id=batch.id, record_type=r["record_type"], record_id=r["record_id"],
                                        content_hash=r["_hash"]) for r in records)
        db.session.flush()
        audit.record(actor_id, "share_batch.produced", batch, period=batch.period, counts=counts, sha256=batch.sha256)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise RuleViolation("另一批次刚刚发送了其中部分记录，请刷新后重试。") from None
    return batch


def mark_delivered(batch: ShareBatch, actor_id: int | None) -> ShareBatch:
    batch.delivered_at, batch.delivered_by = now(), actor_id
    audit.record(actor_id, "share_batch.delivered", batch)
    db.session.commit()
    return batch


def as_csv(batch: ShareBatch) -> bytes:
    """The batch's records as CSV (UTF-8 with BOM), the same lines as its JSON Lines file."""
    # Records are separated by "\n" only: json.dumps escapes it inside strings, but not U+2028 and the
    # other characters str.splitlines() would also split on (a firm name holding one broke the batch).
    records = (json.loads(line) for line in batch.content.split("\n") if line.strip())
    return csv_files.write(FIELDS, ([r.get(f) for f in FIELDS] for r in records))


def last_batch_for(month: date) -> ShareBatch | None:
    return db.session.scalar(select(ShareBatch).where(ShareBatch.period == month.replace(day=1))
                             .order_by(ShareBatch.id.desc()).limit(1))
