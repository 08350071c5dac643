"""A firm's credit as the marketplace reads it: current grade and score (enterprise_scores, written by the
risk engine), serious-dishonesty lists, department data trends, and plain-Chinese advice on what would most
improve the score."""
import re
from datetime import date

from sqlalchemy import Select, case, func, select

from .. import codes
from ..extensions import db
from ..models import (
    CurrentScore,
    EnterpriseScore,
    Penalty,
    ProvidentFundRecord,
    SocialInsuranceRecord,
    TaxGrade,
    TaxRecord,
    UtilityRecord,
)
from ..models.base import IN_CHUNK
from . import in_force


def latest_score_ids():
    """A select of the ids of each firm's latest score row, for joins by other services
    (enterprise_current_scores, kept when scores are written)."""
    return select(CurrentScore.score_id)


def current_grades():
    """A subquery (enterprise_id, grade, pd) of every scored firm's current score, for pages that rank many
    firms: joined in SQL (an outer join leaves unscored firms 未评级), never an id list growing with the city."""
    return (select(CurrentScore.enterprise_id, EnterpriseScore.grade, EnterpriseScore.pd)
            .join(EnterpriseScore, EnterpriseScore.id == CurrentScore.score_id).subquery("current_grades"))


def in_parts(values) -> list:
    """What an `IN (…)` takes: a select of values as one part (the database joins it); a list IN_CHUNK at a time."""
    if isinstance(values, Select):
        return [values]
    values = list(dict.fromkeys(values))
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


def current_scores(enterprise_ids=None) -> dict[int, EnterpriseScore]:
    """{enterprise_id: latest EnterpriseScore} for these firms (all firms when None); unscored firms absent."""
    stmt = select(EnterpriseScore).join(CurrentScore, CurrentScore.score_id == EnterpriseScore.id)
    if enterprise_ids is None:
        return {s.enterprise_id: s for s in db.session.scalars(stmt)}
    out: dict[int, EnterpriseScore] = {}
    for part in in_parts(int(i) for i in enterprise_ids):
        for s in db.session.scalars(stmt.where(CurrentScore.enterprise_id.in_(part))):
            out[s.enterprise_id] = s
    return out


def refresh_current(conn, enterprise_ids=None) -> None:
    """After score rows were bulk-written: these firms (all when None) now read their latest row."""
    CurrentScore.refresh(conn, enterprise_ids)


def current_grade(enterprise_ids=None) -> dict[int, str | None]:
    """{enterprise_id: grade} — the single source of a firm's grade for matching and ranking.
    A firm without a score maps to None (未评级)."""
    ids = None if enterprise_ids is None else list(enterprise_ids)
    scores = current_scores(ids)
    if ids is None:
        return {k: s.grade for k, s in scores.items()}
    return {int(i): (scores[int(i)].grade if int(i) in scores else None) for i in ids}


def grades_of(enterprise_ids) -> dict[int, tuple[str, float]]:
    """{enterprise_id: (grade, PD)} of these firms' current scores (unscored firms absent): three columns, read
    IN_CHUNK ids at a time, for pages that rank many firms (no ORM objects, no reasons JSON)."""
    stmt = (select(EnterpriseScore.enterprise_id, EnterpriseScore.grade, EnterpriseScore.pd)
            .join(CurrentScore, CurrentScore.score_id == EnterpriseScore.id))
    out: dict[int, tuple[str, float]] = {}
    for part in in_parts(int(i) for i in enterprise_ids):
        for eid, grade, pd_ in db.session.execute(stmt.where(CurrentScore.enterprise_id.in_(part))):
            out[eid] = (grade, float(pd_))
    return out


def listed_usccs(on: date, usccs=None, list_types=codes.SERIOUS_LIST_TYPES) -> set[str]:
    """USCCs on a serious-dishonesty list on day `on` (in_force.list_entries: start_on <= on < end_on, a
    withdrawn entry until its withdrawal): a firm that leaves a list is off it from that day. A firm whose
    legal representative is a listed person counts as listed (联合惩戒). `usccs`: a list, or a select of codes."""
    from .joint import usccs_hit_through_representative

    def listed(part=None) -> set[str]:
        entries = in_force.list_entries(on, list_types, part).subquery()
        return set(db.session.scalars(select(entries.c.uscc).distinct()))

    if usccs is None:
        return listed() | usccs_hit_through_representative(on)
    if isinstance(usccs, Select):
        # The caller's firms as a select: list entries joined to it; the persons' firms read from the (few)
        # listed persons, then kept if among the caller's firms.
        hits = usccs_hit_through_representative(on)
        return listed(usccs) | (hits & set(db.session.scalars(usccs)) if hits else set())
    out: set[str] = set()
    for part in in_parts(usccs):
        out |= listed(part)
        out |= usccs_hit_through_representative(on, part)
    return out


def list_entries_of(uscc: str, on: date) -> list[dict]:
    """A firm's list entries in force on `on` (all list types), for its own profile and authorized banks."""
    entries = in_force.list_entries(on, usccs=[uscc]).subquery()
    rows = db.session.execute(select(entries.c.id, entries.c.list_type, entries.c.start_on, entries.c.end_on,
                                     entries.c.document_no).order_by(entries.c.start_on, entries.c.id)).all()
    return [dict(r._mapping) for r in rows]


def public_records(firm, on: date) -> dict:
    """What the firm's record pages show (the firm's own page, an authorized bank's, staff's): penalties with
    their repair state, list entries in force, broken commitments (失信记录), and every record under an open
    objection marked 异议处理中."""
    from ..models import Penalty
    from . import commitments, objections

    marks = objections.under_review(firm.id)
    penalties = [{"id": p.id, "decided_on": p.decided_on, "authority": p.authority, "category": p.category,
                  "severity": p.severity, "fine": p.fine, "document_no": p.document_no,
                  "publication_end": p.publication_end, "repaired_on": p.repaired_on,
                  "under_review": ("penalties", p.id) in marks}
                 for p in db.session.scalars(select(Penalty).where(Penalty.uscc == firm.uscc)
                                             .order_by(Penalty.decided_on.desc()))]
    entries = [dict(e, under_review=("list_entries", e["id"]) in marks) for e in list_entries_of(firm.uscc, on)]
    return {"penalties": penalties, "list_entries": entries, "broken": commitments.broken_of(firm.id),
            "under_review": objections.under_review_labels(firm.id)}


# Monthly series shown as trends: (model, value columns summed, label, unit, extra condition).
TREND_SERIES = (
    (TaxRecord, ("revenue",), "营业收入", "万元", None),
    (TaxRecord, ("vat_paid", "income_tax_paid"), "纳税额", "万元", None),
    (SocialInsuranceRecord, ("insured_headcount",), "社保参保人数", "人", None),
    (ProvidentFundRecord, ("headcount",), "公积金缴存人数", "人", None),
    (UtilityRecord, ("usage",), "用电量", "千瓦时", UtilityRecord.kind == "electricity"),
)


def department_trends(uscc: str, months: int = 24) -> list[dict]:
    """The firm's monthly department data as chart series [{label, unit, periods, values}]; an empty list
    when no department has reported on the firm (the page then says 暂无部门数据)."""
    series = []
    for model, columns, label, unit, where in TREND_SERIES:
        value = sum((getattr(model, c) for c in columns[1:]), getattr(model, columns[0]))
        conds = [model.uscc == uscc] + ([where] if where is not None else [])
        rows = db.session.execute(select(model.period, func.sum(value)).where(*conds)
                                  .group_by(model.period).order_by(model.period.desc()).limit(months)).all()
        if not rows:
            continue
        rows = rows[::-1]
        scale = 10_000 if unit == "万元" else 1
        series.append({"label": label, "unit": unit,
                       "periods": [str(r[0])[:7] for r in rows],
                       "values": [round(float(r[1] or 0) / scale, 2) for r in rows]})
    return series


def factors(score: EnterpriseScore | None) -> list[dict]:
    """The score's factors with their direction, the marketplace's one reading of what the risk engine
    wrote: [{"effect": "risk" | "favourable", "text": officer's words, "plain": the firm's own words,
    "label", "percentile"}], risk reasons first. Older rows (plain strings, or dicts without an effect)
    read as risk reasons."""
    if score is None:
        return []
    out = []
    for r in score.reasons or []:
        if isinstance(r, dict):
            text = r.get("text")
            if not text:
                continue
            text, plain_text = _named(str(text)), _named(str(r.get("plain") or text))
            out.append({"effect": r.get("effect") or "risk", "text": text, "plain": plain_text,
                        "label": r.get("label"), "percentile": r.get("percentile")})
        elif r:
            out.append({"effect": "risk", "text": _named(str(r)), "plain": _named(str(r)), "label": None,
                        "percentile": None})
    return out


_REGION_CODE = re.compile(r"(?<![0-9A-Z])\d{6}(?![0-9A-Z])")  # a district code inside a reason: its name instead


def _named(text: str) -> str:
    return _REGION_CODE.sub(lambda m: codes.REGIONS.get(m.group(0), m.group(0)), text)


def reason_texts(score: EnterpriseScore | None, plain: bool = False) -> list[str]:
    """The reasons that pull the score down, as Chinese sentences: the bank officer's wording, or with
    plain=True the firm's own plain words."""
    return [f["plain"] if plain else f["text"] for f in factors(score) if f["effect"] == "risk"]


def favourable_factors(score: EnterpriseScore | None, plain: bool = True) -> list[str]:
    """What counts in the firm's favour (the engine's largest favourable contributions, each on the good
    side of the population's median), as Chinese sentences."""
    return [f["plain"] if plain else f["text"] for f in factors(score) if f["effect"] == "favourable"]


# Keyword in a reason → what the firm can do about it.
IMPROVEMENT_TIPS = (
    (("社保", "参保"), "按时足额缴纳社会保险，补缴欠费，保持参保人数稳定。"),
    (("公积金",), "为员工连续足额缴存住房公积金。"),
    (("纳税", "税", "营业收入", "收入"), "按期申报纳税、清缴欠税，争取纳税信用等级提升至B级以上。"),
    (("水", "电", "气", "缴费"), "按时缴纳水电气费用，避免逾期。"),
    (("处罚",), "对已满最短公示期的行政处罚，可申请信用修复（需签署信用修复型承诺）。"),
    (("失信", "名单", "异常"), "尽快履行义务并申请移出相关名单；移出当日起不再计入。"),
    (("成立", "经营年限", "年限"), "持续稳定经营；经营年限越长，评分越高。"),
)


def _months_back(day: date, n: int) -> date:
    m = day.year * 12 + day.month - 1 - n
    return date(m // 12, m % 12 + 1, 1)


def record_review(uscc: str, established_on: date | None, on: date) -> dict[str, list[str]]:
    """What the firm's own department records say, as {"favourable": [...], "tips": [...]}: what counts in its
    favour, and advice that each follows from a record the firm can see (never from a guess, so the advice
    cannot contradict the data — an A-grade taxpayer is not told to improve its tax grade)."""
    from ..money import wan

    good: list[str] = []
    tips: list[str] = []
    year_ago = _months_back(on, 12)
    grade = db.session.execute(select(TaxGrade.year, TaxGrade.grade).where(TaxGrade.uscc == uscc)
                               .order_by(TaxGrade.year.desc()).limit(1)).first()
    if grade and grade.grade in ("A", "B"):
        good.append(f"{grade.year}年度纳税信用等级为{grade.grade}级")
    elif grade and grade.grade in ("C", "D"):
        tips.append(f"{grade.year}年度纳税信用等级为{grade.grade}级：按期申报、清缴欠税，下一评价年度可争取提升。")
    tax = tax_summary([uscc], on).get(uscc)
    if tax and tax["arrears"]:
        tips.append(f"最近一个月仍有欠税 {wan(tax['arrears'])} 万元，清缴后评分和预授信额度都会改善。")
    elif tax and tax["months"] >= 6:
        good.append(f"近{tax['months']}个月按期申报纳税，无欠税")
    si = db.session.execute(select(SocialInsuranceRecord.period, SocialInsuranceRecord.insured_headcount,
                                   SocialInsuranceRecord.months_in_arrears)
                            .where(SocialInsuranceRecord.uscc == uscc, SocialInsuranceRecord.period <= on)
                            .order_by(SocialInsuranceRecord.period.desc()).limit(12)).all()
    if si and si[0].months_in_arrears:
        tips.append(f"社会保险已连续 {si[0].months_in_arrears} 个月未足额缴纳，补缴后可消除该不利因素。")
    elif len(si) >= 6 and not any(r.months_in_arrears for r in si):
        good.append(f"近{len(si)}个月足额缴纳社会保险（参保 {si[0].insured_headcount} 人）")
    pf_months = db.session.scalar(select(func.count()).where(
        ProvidentFundRecord.uscc == uscc, ProvidentFundRecord.period >= year_ago, ProvidentFundRecord.period <= on,
        ProvidentFundRecord.amount_paid > 0))
    if pf_months and pf_months >= 6:
        good.append(f"近一年有 {pf_months} 个月为员工缴存住房公积金")
    elif si and si[0].insured_headcount >= 5:
        tips.append("为员工连续缴存住房公积金（平台近一年未收到贵企业的缴存记录）。")
    utility = db.session.execute(select(func.count(), func.sum(case((UtilityRecord.days_late > 0, 1), else_=0)))
                                 .where(UtilityRecord.uscc == uscc, UtilityRecord.period >= year_ago,
                                        UtilityRecord.period <= on)).one()
    if utility[0] and utility[1]:
        tips.append(f"近12个月水电气有 {utility[1]} 次逾期缴费，按时缴费可改善评分。")
    elif utility[0]:
        good.append("近12个月水电气费用均按时缴纳")
    penalties = db.session.execute(select(Penalty.document_no, Penalty.publication_end, Penalty.repaired_on)
                                   .where(Penalty.uscc == uscc, Penalty.decided_on >= _months_back(on, 36))).all()
    open_penalties = [p for p in penalties if p.repaired_on is None]
    repairable = [p for p in open_penalties if p.publication_end <= on]
    if repairable:
        tips.append(f"有 {len(repairable)} 条行政处罚已过最短公示期，可申请信用修复（需签署信用修复型承诺）。")
    if not penalties:
        good.append("近三年无行政处罚记录")
    entries = list_entries_of(uscc, on)
    for e in entries:
        label = codes.LIST_TYPES.get(e["list_type"], "名单")
        if e["list_type"] in codes.RED_LIST_TYPES:
            good.append(f"列入{label}（{e['start_on']} 起）")
        else:
            tips.append(f"已列入{label}（文号 {e['document_no']}）：履行相关义务后申请移出，移出当日起不再计入。")
    if established_on and (on - established_on).days >= 5 * 365:
        good.append(f"持续经营 {(on - established_on).days // 365} 年")
    return {"favourable": good, "tips": tips}


def data_arrival(uscc: str) -> dict:
    """For a firm without a score: is it in the registry, when did the departments' files last arrive, and
    when is the next monthly delivery due — what really happens before it is rated."""
    from ..models import ImportBatch, RegistryEnterprise

    in_registry = db.session.scalar(select(RegistryEnterprise.id).where(RegistryEnterprise.uscc == uscc)) is not None
    last = db.session.execute(select(ImportBatch.created_at, ImportBatch.period_to).where(
        ImportBatch.source == "tax_records").order_by(ImportBatch.created_at.desc()).limit(1)).first()
    next_month = None
    if last and last.period_to:
        m = last.period_to.year * 12 + last.period_to.month  # the month after the last period delivered
        next_month = date(m // 12, m % 12 + 1, 1)
    return {"in_registry": in_registry, "last_import": last.created_at if last else None,
            "last_period": last.period_to if last else None, "next_period": next_month}


def tax_summary(usccs, on: date) -> dict[str, dict]:
    """{uscc: {"revenue", "tax", "arrears", "months"}} over the 12 months ending at the latest month of tax
    records delivered up to `on`:
    revenue and tax paid (VAT + income tax) summed, arrears as of the latest month delivered (yuan). Firms
    without a tax record in those months are absent. The pre-approved line (services/matching) is bounded
    by these figures; one grouped query, whatever the number of firms (`usccs`: a list, or a select of codes
    joined in SQL)."""
    latest = db.session.scalar(select(func.max(TaxRecord.period)).where(TaxRecord.period <= on))
    out: dict[str, dict] = {}
    if latest is None:
        return out
    m = latest.year * 12 + latest.month - 1 - 11
    window = (TaxRecord.period >= date(m // 12, m % 12 + 1, 1), TaxRecord.period <= latest)
    # The arrears of the latest month ride in the same grouped query (one row per firm and month).
    arrears = func.sum(case((TaxRecord.period == latest, TaxRecord.arrears), else_=0))
    for part in in_parts(usccs):
        for uscc, revenue, tax, months, owed in db.session.execute(
                select(TaxRecord.uscc, func.sum(TaxRecord.revenue),
                       func.sum(TaxRecord.vat_paid + TaxRecord.income_tax_paid), func.count(), arrears)
                .where(TaxRecord.uscc.in_(part), *window).group_by(TaxRecord.uscc)):
            out[uscc] = {"revenue": int(revenue or 0), "tax": int(tax or 0), "arrears": int(owed or 0),
                         "months": int(months)}
    return out
