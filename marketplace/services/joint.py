"""联合奖惩 (joint reward and punishment): each application is screened on the day against the lists in
force — the firm itself, and its legal representative (法定代表人) where a list names a person. A serious
hit is blocked or flagged as the product says (products.dishonesty_rule); a red-list firm gets the
incentives the commission configures. Every measure applied is one JointCase row: an append-only log,
browsable and exported by month."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .. import codes
from ..clock import add_months, parse_month
from ..extensions import db
from ..models import Enterprise, JointCase, ListEntry, PersonListEntry, RedListIncentive
from ..models.base import text_length
from . import RuleViolation, audit, identity

INCENTIVE_CASE_MEASURE = {"fast_track": "fast_track", "flag": "incentive_flag", "rate_note": "rate_note"}


@dataclass(frozen=True)
class Hit:
    list_type: str
    entry_id: int
    document_no: str
    via: str  # 'firm' | 'legal_representative'


def person_active_on(day: date):
    return (PersonListEntry.start_on <= day) & (PersonListEntry.end_on.is_(None) | (PersonListEntry.end_on > day))


def serious_hits(firm: Enterprise, on: date) -> list[Hit]:
    """The serious-dishonesty entries in force on `on` that hit this firm, directly or through its legal
    representative (a listed person is a hit for every firm they represent)."""
    hits = [Hit(r.list_type, r.id, r.document_no, "firm") for r in db.session.scalars(
        select(ListEntry).where(ListEntry.uscc == firm.uscc, ListEntry.list_type.in_(codes.SERIOUS_LIST_TYPES),
                                ListEntry.active_on(on)).order_by(ListEntry.id))]
    name = identity.legal_representative(firm)
    if name:
        hits += [Hit(r.list_type, r.id, r.document_no, "legal_representative") for r in db.session.scalars(
            select(PersonListEntry).where(PersonListEntry.person_name == name, person_active_on(on))
            .order_by(PersonListEntry.id))]
    return hits


def usccs_hit_through_representative(on: date, usccs=None) -> set[str]:
    """Firms whose legal representative (identity.representatives: the registry's) is on a person list in force
    on `on` — every firm that person represents; read from the listed persons (by name), not from the firms."""
    names = select(PersonListEntry.person_name).where(person_active_on(on))
    reps = identity.representatives(names)
    stmt = select(reps.c.uscc).distinct()
    if usccs is not None:
        stmt = stmt.where(reps.c.uscc.in_(list(usccs)))
    return set(db.session.scalars(stmt))


def red_entries(firm: Enterprise, on: date) -> list[ListEntry]:
    return db.session.scalars(select(ListEntry).where(ListEntry.uscc == firm.uscc,
                                                      ListEntry.list_type.in_(codes.RED_LIST_TYPES),
                                                      ListEntry.active_on(on)).order_by(ListEntry.id)).all()


def _case(firm, product, hit_type, entry_id, document_no, via, measure, on, note="", application_id=None,
          officer_id=None) -> JointCase:
    case = JointCase(occurred_on=on, enterprise_id=firm.id, application_id=application_id,
                     product_id=product.id if product else None,
                     institution_id=product.institution_id if product else None, officer_id=officer_id,
                     list_type=hit_type, list_entry_id=entry_id, document_no=document_no, via=via,
                     measure=measure, note=note[:128])
    db.session.add(case)
    return case


def record_block(firm: Enterprise, product, hits: list[Hit], on: date, actor_id: int | None) -> None:
    """A product that blocks listed firms refused this one: the refusal itself is a case (own commit,
    since the application it would have belonged to is never created)."""
    for h in hits:
        _case(firm, product, h.list_type, h.entry_id, h.document_no, h.via, "block", on, officer_id=actor_id)
    db.session.commit()


def record_screening(application, hits: list[Hit], on: date) -> list[JointCase]:
    """Cases for a created application (added to the caller's transaction): the flag for a serious hit on a
    flagging product, and each red-list incentive configured for a red list the firm is on."""
    firm, product = application.enterprise, application.product
    cases = [_case(firm, product, h.list_type, h.entry_id, h.document_no, h.via, "flag", on,
                   application_id=application.id) for h in hits if product.dishonesty_rule != "block"]
    entries = red_entries(firm, on)
    if entries:
        incentives = db.session.scalars(select(RedListIncentive).where(RedListIncentive.active.is_(True))).all()
        for entry in entries:
            for inc in incentives:
                if inc.list_type == entry.list_type:
                    cases.append(_case(firm, product, entry.list_type, entry.id, entry.document_no, "firm",
                                       INCENTIVE_CASE_MEASURE[inc.measure], on, note=inc.note,
                                       application_id=application.id))
    return cases


def cases_of_application(application_id: int) -> list[JointCase]:
    return db.session.scalars(select(JointCase).where(JointCase.application_id == application_id)
                              .order_by(JointCase.id)).all()


def cases_in_month(month: str | None):
    """The case log of one month ('2026-11'), or the latest 500 cases without a month."""
    stmt = select(JointCase).order_by(JointCase.occurred_on.desc(), JointCase.id.desc())
    if month:
        try:
            first = parse_month(month)
            nxt = add_months(first, 1)
        except ValueError:
            raise RuleViolation("月份格式应为 2026-11。", "month") from None
        return db.session.scalars(stmt.where(JointCase.occurred_on >= first, JointCase.occurred_on < nxt)).all()
    return db.session.scalars(stmt.limit(500)).all()


def case_rows(cases) -> list[dict]:
    """The export's rows (the page shows the same fields)."""
    return [{"occurred_on": c.occurred_on, "uscc": c.enterprise.uscc, "name": c.enterprise.name,
             "list": codes.LIST_TYPES.get(c.list_type, c.list_type), "document_no": c.document_no,
             "via": codes.JOINT_VIA.get(c.via, c.via), "measure": codes.JOINT_MEASURES.get(c.measure, c.measure),
             "institution": c.institution.name if c.institution else "", "application_id": c.application_id,
             "note": c.note} for c in cases]


# ------------------------------------------------------------------------- configuration by the commission


def add_person_entry(*, person_name: str, list_type: str, start_on: date, end_on: date | None, document_no: str,
                     actor_id: int | None) -> PersonListEntry:
    name, doc = (person_name or "").strip(), (document_no or "").strip()
    if not 0 < len(name) <= text_length(PersonListEntry.person_name):
        raise RuleViolation(f"请填写被列入名单的自然人姓名（最多{text_length(PersonListEntry.person_name)}个字符）。",
                            "person_name")
    if list_type not in codes.SERIOUS_LIST_TYPES:
        raise RuleViolation("请选择名单类型。", "list_type")
    if not 0 < len(doc) <= text_length(PersonListEntry.document_no):
        raise RuleViolation(f"请填写列入依据文书号（最多{text_length(PersonListEntry.document_no)}个字符）。",
                            "document_no")
    if end_on is not None and end_on < start_on:
        raise RuleViolation("移出日期不能早于列入日期。", "end_on")
    entry = PersonListEntry(person_name=name, list_type=list_type, start_on=start_on, end_on=end_on,
                            document_no=doc, created_by=actor_id)
    db.session.add(entry)
    db.session.flush()
    audit.record(actor_id, "person_list_entry.added", entry, person_name=name, list_type=list_type)
    db.session.commit()
    return entry


def set_incentive(*, list_type: str, measure: str, note: str, actor_id: int | None) -> RedListIncentive:
    if list_type not in codes.RED_LIST_TYPES:
        raise RuleViolation("请选择红名单类型。", "list_type")
    if measure not in codes.INCENTIVE_MEASURES:
        raise RuleViolation("请选择激励措施。", "measure")
    note = (note or "").strip()
    if len(note) > text_length(RedListIncentive.note):
        raise RuleViolation(f"说明最多{text_length(RedListIncentive.note)}个字符。", "note")
    inc = RedListIncentive(list_type=list_type, measure=measure, note=note, active=True, created_by=actor_id)
    db.session.add(inc)
    db.session.flush()
    audit.record(actor_id, "incentive.added", inc, list_type=list_type, measure=measure)
    db.session.commit()
    return inc


def stop_incentive(incentive: RedListIncentive, actor_id: int | None) -> None:
    incentive.active = False
    audit.record(actor_id, "incentive.stopped", incentive)
    db.session.commit()
