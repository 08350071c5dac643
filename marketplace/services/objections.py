"""异议 (objections): a firm disputes one of its own data records; staff verify it and decide it through one
checked transition function. Upheld: the record is corrected (old values kept in record_corrections) or
withdrawn from publication, and the firm is re-scored at once. Rejected: with a reason.

Clocks (working days, services/workdays): the source department verifies within 1 working day (监测指标
三十六), the whole case closes within OBJECTION_CASE_WORKING_DAYS; an open case past either stands out.
"""
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import BigInteger, Integer, Numeric, String, select

from .. import codes
from ..clock import local_date, now, today
from ..extensions import db
from ..models import (
    Enterprise,
    ListEntry,
    Objection,
    Penalty,
    ProvidentFundRecord,
    RecordCorrection,
    RegistryEnterprise,
    SocialInsuranceRecord,
    TaxGrade,
    TaxRecord,
    UtilityRecord,
)
from . import RuleViolation, audit, notifications, scoring, workflow
from .workdays import add_working_days, working_days_between

VERIFY_WORKING_DAYS = 1  # the source department verifies within 1 working day (scheme, 三十六)
OPEN_STATUSES = ("submitted", "verifying")
MONTHS_OFFERED = 36  # monthly records a firm can pick from: the last three years

TRANSITIONS = {
    "submitted": {"verifying", "upheld", "rejected"},
    "verifying": {"upheld", "rejected"},
    "upheld": set(),
    "rejected": set(),
}

# source → (model, fields staff may correct). Withdrawal (撤下公示) is offered for all but the registry row.
RECORDS = {
    "registry_enterprises": (RegistryEnterprise, ("name", "region_code", "industry", "size", "established_on",
                                                  "registered_capital", "operating_status")),
    "tax_records": (TaxRecord, ("revenue", "vat_paid", "income_tax_paid", "arrears")),
    "tax_grades": (TaxGrade, ("grade",)),
    "social_insurance_records": (SocialInsuranceRecord, ("insured_headcount", "amount_due", "amount_paid",
                                                         "months_in_arrears")),
    "provident_fund_records": (ProvidentFundRecord, ("headcount", "amount_paid")),
    "utility_records": (UtilityRecord, ("usage", "amount_billed", "days_late")),
    "penalties": (Penalty, ("decided_on", "severity", "fine", "publication_end", "document_no")),
    "list_entries": (ListEntry, ("start_on", "end_on", "document_no")),
}
CHOICES = {"severity": codes.PENALTY_SEVERITIES, "grade": {g: g for g in ("A", "B", "M", "C", "D")},
           "region_code": codes.REGIONS, "size": codes.SIZES, "industry": codes.INDUSTRIES, "operating_status": codes.OPERATING_STATUSES}
NUMBER_MAX = 10 ** 13  # bounds every corrected amount or count (yuan, persons, kWh)


# ------------------------------------------------------------------------------------------ the records

def record_label(source: str, row) -> str:
    """A record as a person names it: the table and its period, year, document number or list."""
    name = codes.OBJECTION_SOURCES[source]
    if source in ("tax_records", "social_insurance_records", "provident_fund_records"):
        return f"{name} {row.period:%Y-%m}"
    if source == "utility_records":
        return f"{name}（{ {'water': '水', 'electricity': '电', 'gas': '气'}[row.kind]}） {row.period:%Y-%m}"
    if source == "tax_grades":
        return f"{name} {row.year}年 {row.grade}级"
    if source == "penalties":
        return f"{name} {row.document_no}（{row.decided_on}，{row.authority}）"
    if source == "list_entries":
        return f"{codes.LIST_TYPES.get(row.list_type, row.list_type)} {row.document_no}（{row.start_on}起）"
    return f"{name}（{row.name}）"


def disputable_records(uscc: str) -> list[tuple[str, str]]:
    """The firm's own records it may dispute, as (key 'source:id', label): newest first per table."""
    out = []
    for source, (model, _) in RECORDS.items():
        stmt = select(model).where(model.uscc == uscc)
        if hasattr(model, "period"):
            stmt = stmt.order_by(model.period.desc()).limit(MONTHS_OFFERED * (3 if source == "utility_records" else 1))
        else:
            stmt = stmt.order_by(model.id.desc())
        out += [(f"{source}:{row.id}", record_label(source, row)) for row in db.session.scalars(stmt)]
    return out


def find_record(source: str, record_id: int | None):
    if source not in RECORDS or record_id is None:
        return None
    return db.session.get(RECORDS[source][0], record_id)


def parse_record_key(key: str) -> tuple[str, int]:
    source, _, raw_id = (key or "").partition(":")
    if source not in RECORDS or not raw_id.isdigit() or len(raw_id) > 12:
        raise RuleViolation("请选择有异议的具体记录。", "record")
    return source, int(raw_id)


# ------------------------------------------------------------------------------------------ raising

def raise_objection(enterprise_id: int, *, record_source: str, record_id: int | None, kind: str,
                    description: str, actor_id: int | None, submitted_at=None) -> Objection:
    """A firm disputes one of ITS records (the record must carry the firm's USCC)."""
    from .identity import require_verified

    require_verified(enterprise_id)
    if record_source not in codes.OBJECTION_SOURCES:
        raise RuleViolation("请选择有异议的数据来源。", "record")
    firm = db.session.get(Enterprise, enterprise_id)
    row = find_record(record_source, record_id)
    if firm is None or row is None or row.uscc != firm.uscc:
        raise RuleViolation("请选择本企业的一条数据记录。", "record")
    if kind not in codes.OBJECTION_KINDS:
        raise RuleViolation("请选择异议类型。", "kind")
    if not (description or "").strip():
        raise RuleViolation("请说明异议理由。", "description")
    if db.session.scalar(select(Objection.id).where(Objection.record_source == record_source,
                                                    Objection.record_id == record_id,
                                                    Objection.status.in_(OPEN_STATUSES))):
        raise RuleViolation("该记录已有处理中的异议，请等待处理结果。", "record")
    moment = submitted_at or now()
    day = local_date(moment)
    objection = Objection(enterprise_id=enterprise_id, record_source=record_source, record_id=record_id,
                          kind=kind, description=description.strip(), submitted_at=moment,
                          record_public=record_source in codes.PUBLIC_RECORD_SOURCES,
                          verify_due=add_working_days(day, VERIFY_WORKING_DAYS),
                          case_due=add_working_days(day, current_app.config["OBJECTION_CASE_WORKING_DAYS"]))
    return workflow.transition(
        objection, "submitted", subject="异议", label="提交", apply=lambda o: ("submitted", {}), actor_id=actor_id,
        event=lambda o, *_: audit.record(actor_id, "objection.submitted", o, kind=kind,
                                         record_source=record_source, record_id=record_id),
        notify=lambda o, *_: notifications.to_enterprise(
            enterprise_id, "异议已提交",
            f"您对“{record_label(record_source, row)}”提出的异议已提交，该记录标注“异议处理中”，"
            f"数据来源部门将在1个工作日内核实，{o.case_due} 前办结。"))


# ------------------------------------------------------------------------------------------ deciding

def move(objection: Objection, to_status: str, *, actor_id: int | None, resolution: str = "",
         outcome: str | None = None, new_values: dict | None = None, expected_version: int | None = None,
         at=None) -> Objection:
    """The one place an objection changes status, through workflow.transition (legal step, optimistic lock on
    objections.version, audit row, notification, one commit). Upheld applies the decision to the record
    (corrected or withdrawn, the old values kept); then the firm is re-scored at once."""
    resolution = (resolution or "").strip()

    def apply(o):
        moment = at or now()
        if to_status in ("upheld", "rejected"):
            if not resolution:
                raise RuleViolation("请填写处理意见（将告知企业）。", "resolution")
            if to_status == "upheld":
                _apply(o, outcome, new_values or {}, actor_id)
            o.resolved_at, o.resolution = moment, resolution
        if o.verified_at is None:
            o.verified_at = moment
        o.handled_by = actor_id
        return to_status, {}

    def notify(o, to, detail):
        if to == "verifying":
            return
        text = resolution
        if o.outcome:
            text = f"{codes.OBJECTION_OUTCOMES[o.outcome]}：{resolution}。您的信用评分已按更正后的数据重新计算。"
        notifications.to_enterprise(o.enterprise_id, f"异议处理：{codes.OBJECTION_STATUSES[to]}", text)

    workflow.transition(
        objection, to_status, subject="异议", label=f"改为“{codes.OBJECTION_STATUSES.get(to_status, to_status)}”",
        allowed_from={s for s, targets in TRANSITIONS.items() if to_status in targets},
        statuses=codes.OBJECTION_STATUSES, apply=apply, actor_id=actor_id, expected_version=expected_version,
        event=lambda o, from_status, to, detail: audit.record(actor_id, f"objection.{to}", o, from_status=from_status,
                                                              resolution=resolution, outcome=o.outcome),
        notify=notify)
    if to_status == "upheld":  # the record changed: the firm's score follows at once
        scoring.rescore_enterprises([objection.enterprise_id])
    return objection


def _apply(objection: Objection, outcome: str | None, new_values: dict, actor_id: int | None) -> None:
    if outcome not in codes.OBJECTION_OUTCOMES:
        raise RuleViolation("请选择处理方式：更正数据或撤下公示。", "outcome")
    row = find_record(objection.record_source, objection.record_id)
    if row is None:
        raise RuleViolation("被异议的记录已不存在，请选择“异议不成立”并说明情况。", "outcome")
    model, fields = RECORDS[objection.record_source]
    old = {c.name: getattr(row, c.name) for c in model.__table__.c}
    if outcome == "withdrawn":
        if objection.record_source == "registry_enterprises":
            raise RuleViolation("登记信息不能撤下，只能更正。", "outcome")
        db.session.delete(row)  # withdrawn from publication: out of the published tables, whole row kept below
        changed: dict = {}
    else:
        changed = {}
        for field in fields:
            raw = (new_values.get(field) or "").strip() if isinstance(new_values.get(field), str) else \
                new_values.get(field)
            if raw in (None, ""):
                continue
            value = _parse(model, field, raw, field_label(objection.record_source, field))
            if value != getattr(row, field):
                changed[field] = value
        if not changed:
            raise RuleViolation("请填写更正后的数值（至少一项与原值不同）。", "new_values")
        for field, value in changed.items():
            setattr(row, field, value)
        old = {k: old[k] for k in changed}
    objection.outcome = outcome
    db.session.add(RecordCorrection(objection_id=objection.id, record_source=objection.record_source,
                                    record_id=objection.record_id, action="withdraw" if outcome == "withdrawn"
                                    else "correct", old_values=audit._jsonable(old),
                                    new_values=audit._jsonable(changed), actor_id=actor_id))
    db.session.flush()  # a CHECK constraint the new values break fails here, inside the transaction


def text_lengths(source: str) -> dict[str, int | None]:
    """{field: its column's length} for the text fields staff may correct (None for numbers and dates, which
    `_parse` bounds): the correction form's maxlength is the column's."""
    model, fields = RECORDS[source]
    return {f: getattr(model.__table__.c[f].type, "length", None) if model.__table__.c[f].type.python_type is str
            else None for f in fields}


def _parse(model, field: str, raw, name: str):
    """One corrected value, parsed and bounded by its column's type (and code list); `name` is the field's
    Chinese label for the messages."""
    column = model.__table__.c[field]
    label = f"“{name}”"
    if field in CHOICES:
        if raw not in CHOICES[field]:
            raise RuleViolation(f"{label}应为：{'、'.join(CHOICES[field].values())}。", "new_values")
        return raw
    if isinstance(column.type, (Integer, BigInteger)):
        try:
            value = int(str(raw))
        except ValueError:
            raise RuleViolation(f"{label}应为整数。", "new_values") from None
        if not 0 <= value <= NUMBER_MAX:
            raise RuleViolation(f"{label}应在0到{NUMBER_MAX}之间。", "new_values")
        return value
    if isinstance(column.type, Numeric):
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise RuleViolation(f"{label}应为数字。", "new_values") from None
        if not 0 <= value <= NUMBER_MAX:
            raise RuleViolation(f"{label}应在0到{NUMBER_MAX}之间。", "new_values")
        return value
    if column.type.python_type is date:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise RuleViolation(f"{label}应为日期（如 2026-01-31）。", "new_values") from None
    if isinstance(column.type, String):
        value = str(raw).strip()
        if len(value) > (column.type.length or 255):
            raise RuleViolation(f"{label}最多{column.type.length}个字符。", "new_values")
        return value
    raise RuleViolation(f"{label}不能更正。", "new_values")


# ------------------------------------------------------------------------------------------ reading

def under_review(enterprise_id: int) -> dict[tuple[str, int], Objection]:
    """{(record_source, record_id): open objection}: the records marked 异议处理中 on every page that shows them."""
    rows = db.session.scalars(select(Objection).where(Objection.enterprise_id == enterprise_id,
                                                      Objection.status.in_(OPEN_STATUSES)))
    return {(o.record_source, o.record_id): o for o in rows}


def label_of(objection: Objection) -> str:
    """The disputed record's name, or its table's when the record has been withdrawn."""
    row = find_record(objection.record_source, objection.record_id)
    return record_label(objection.record_source, row) if row is not None else \
        codes.OBJECTION_SOURCES.get(objection.record_source, objection.record_source)


def under_review_labels(enterprise_id: int) -> list[str]:
    """The records under review, named as the firm named them (for pages that show no record table)."""
    return [label_of(o) for o in sorted(under_review(enterprise_id).values(), key=lambda o: o.id)]


def overdue(objection: Objection, on: date | None = None) -> str | None:
    """Why an open case stands out in the queue: '核实超期' past verify_due unverified, '办理超期' past case_due."""
    if objection.status not in OPEN_STATUSES:
        return None
    day = on or today()
    if objection.case_due and day > objection.case_due:
        return "办理超期"
    if objection.verified_at is None and objection.verify_due and day > objection.verify_due:
        return "核实超期"
    return None


def handling_days(objection: Objection) -> int | None:
    """Working days from submission to resolution (the (三十六) arithmetic uses the same count)."""
    if objection.resolved_at is None:
        return None
    return working_days_between(local_date(objection.submitted_at), local_date(objection.resolved_at))


def field_label(source: str, name: str) -> str:
    """The Chinese header of a disputed record's column, as the department file names it."""
    from .ingest import SOURCES

    fields = next((s.fields for s in SOURCES.values() if s.sql_table.name == source), ())
    return next((f.label for f in fields if f.name == name), "其他字段")


def value_text(name: str, value) -> str:
    """A stored value as a person reads it: labels for codes, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if name in CHOICES:
        return CHOICES[name].get(str(value), str(value))
    return str(value)


def correction_lines(source: str, values: dict) -> list[str]:
    """A kept copy or a new-values dict as 'label：value' lines (never a column name or a raw code)."""
    return [f"{field_label(source, k)}：{value_text(k, v)}" for k, v in values.items()
            if k not in ("id", "batch_id", "created_at", "updated_at")]


def corrections(objection_id: int) -> list[RecordCorrection]:
    return db.session.scalars(select(RecordCorrection).where(RecordCorrection.objection_id == objection_id)
                              .order_by(RecordCorrection.id)).all()
