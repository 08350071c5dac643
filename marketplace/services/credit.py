"""A firm's credit as the marketplace reads it: current grade and score (enterprise_scores, written by the
risk engine), serious-dishonesty lists, department data trends, and plain-Chinese advice on what would most
improve the score."""
from datetime import date

from sqlalchemy import func, select

from .. import codes
from ..extensions import db
from ..models import (
    EnterpriseScore,
    ListEntry,
    ProvidentFundRecord,
    SocialInsuranceRecord,
    TaxRecord,
    UtilityRecord,
)

IN_CHUNK = 900  # ids per IN (…) list: SQLite caps bound parameters


def _latest_scores():
    """Subquery: the latest score row of each firm (by as_of, then id)."""
    ranked = select(
        EnterpriseScore.id,
        func.row_number().over(partition_by=EnterpriseScore.enterprise_id,
                               order_by=(EnterpriseScore.as_of.desc(), EnterpriseScore.id.desc())).label("rn"),
    ).subquery()
    return select(ranked.c.id).where(ranked.c.rn == 1)


def current_scores(enterprise_ids=None) -> dict[int, EnterpriseScore]:
    """{enterprise_id: latest EnterpriseScore} for these firms (all firms when None); unscored firms absent."""
    if enterprise_ids is None:
        stmt = select(EnterpriseScore).where(EnterpriseScore.id.in_(_latest_scores()))
        return {s.enterprise_id: s for s in db.session.scalars(stmt)}
    # For a few firms, their own rows newest first (index enterprise_id, as_of) beat ranking the whole table.
    ids = list(dict.fromkeys(int(i) for i in enterprise_ids))
    out: dict[int, EnterpriseScore] = {}
    for start in range(0, len(ids), IN_CHUNK):
        part = ids[start:start + IN_CHUNK]
        stmt = (select(EnterpriseScore).where(EnterpriseScore.enterprise_id.in_(part))
                .order_by(EnterpriseScore.as_of.desc(), EnterpriseScore.id.desc()))
        for s in db.session.scalars(stmt):
            out.setdefault(s.enterprise_id, s)
    return out


def current_grade(enterprise_ids=None) -> dict[int, str | None]:
    """{enterprise_id: grade} — the single source of a firm's grade for matching and ranking.
    A firm without a score maps to None (未评级)."""
    ids = None if enterprise_ids is None else list(enterprise_ids)
    scores = current_scores(ids)
    if ids is None:
        return {k: s.grade for k, s in scores.items()}
    return {int(i): (scores[int(i)].grade if int(i) in scores else None) for i in ids}


def grades_frame():
    """Latest grade and PD of every scored firm as one query: a DataFrame enterprise_id, grade, pd."""
    import pandas as pd

    rows = db.session.execute(select(EnterpriseScore.enterprise_id, EnterpriseScore.grade, EnterpriseScore.pd)
                              .where(EnterpriseScore.id.in_(_latest_scores()))).all()
    return pd.DataFrame(rows, columns=["enterprise_id", "grade", "pd"])


def listed_usccs(on: date, usccs=None, list_types=codes.SERIOUS_LIST_TYPES) -> set[str]:
    """USCCs on a serious-dishonesty list on day `on` (start_on <= on < end_on): a firm that leaves a list
    is off it from that day. A firm whose legal representative is a listed person counts as listed (联合惩戒)."""
    from .joint import usccs_hit_through_representative

    stmt = select(ListEntry.uscc).distinct().where(ListEntry.list_type.in_(list_types), ListEntry.active_on(on))
    if usccs is None:
        return set(db.session.scalars(stmt)) | usccs_hit_through_representative(on)
    codes_ = list(dict.fromkeys(usccs))
    out: set[str] = set()
    for start in range(0, len(codes_), IN_CHUNK):
        part = codes_[start:start + IN_CHUNK]
        out |= set(db.session.scalars(stmt.where(ListEntry.uscc.in_(part))))
        out |= usccs_hit_through_representative(on, part)
    return out


def list_entries_of(uscc: str, on: date) -> list[dict]:
    """A firm's active list entries (all list types), for its own profile and authorized banks."""
    rows = db.session.execute(select(ListEntry.id, ListEntry.list_type, ListEntry.start_on, ListEntry.end_on,
                                     ListEntry.document_no).where(ListEntry.uscc == uscc,
                                                                  ListEntry.active_on(on))).all()
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
            out.append({"effect": r.get("effect") or "risk", "text": str(text), "plain": str(r.get("plain") or text),
                        "label": r.get("label"), "percentile": r.get("percentile")})
        elif r:
            out.append({"effect": "risk", "text": str(r), "plain": str(r), "label": None, "percentile": None})
    return out


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


def improvement_tips(score: EnterpriseScore | None) -> list[str]:
    """What would most improve the score, from the reasons that pull it down (in their order)."""
    tips: list[str] = []
    for text in reason_texts(score):
        for words, tip in IMPROVEMENT_TIPS:
            if any(w in text for w in words) and tip not in tips:
                tips.append(tip)
    if score is None:
        tips.append("平台尚未对本企业评级：授权平台归集纳税、社保、公积金、水电气等数据后即可获得信用评分。")
    elif not tips:
        tips.append("保持按时纳税、缴纳社保和水电气费用，信用评分将随数据更新而提升。")
    return tips
