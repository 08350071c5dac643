"""Two years of platform lending for the demo city, so every page and indicator has something to show.

Applications follow the state machine of marketplace/services/applications.py (submitted → accepted →
granted / rejected → confirmed / declined by the firm → disbursed → repaid, or overdue → defaulted; some
withdrawn), each step with its audit event and timestamps in order; each application draws the applicant's
standing, and weaker applicants are rejected and default more often. Grants fall inside the product's
ranges. Each disbursed loan gets its 还款计划 from services/schedules.draw (the product's repayment
method); a performing loan pays every instalment on its due date up to `paid_through`, a defaulting one
stops at a drawn instalment, turns overdue the day after it falls due and 不良 at DEFAULT_DAYS_PAST_DUE.
Needs, credit commitments, repayments and banks' outside-platform reports come with them. All of it is
drawn from the seed and written with bulk inserts; it is demo data, marked as such nowhere else than in
this module.
"""
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd

from marketplace import codes
from marketplace.services.schedules import draw
from marketplace.services.workdays import SHANGHAI, add_working_days

from . import city

DEFAULT_DAYS_PAST_DUE = 90  # the commission's rule in marketplace/config.py (the seeded products state none)
PURPOSES = ("采购原材料", "支付货款", "扩大生产", "购置设备", "补充流动资金", "研发投入", "支付工资", "仓储物流")


WRITE_OFF_AFTER_DAYS = 180  # 不良 loans are written off (核销) half a year after default in the demo


def _instant(day: date, rng) -> datetime:
    """A working-hours moment on `day` in Shanghai, as UTC."""
    local = datetime.combine(day, time(9, 0), SHANGHAI) + timedelta(minutes=int(rng.integers(0, 8 * 60)))
    return local.astimezone(UTC)


def generate(enterprises: pd.DataFrame, products: pd.DataFrame, *, applications: int, seed: int,
             as_of: date = city.AS_OF, months: int = 24, paid_through: date | None = None,
             progress=None) -> dict[str, pd.DataFrame]:
    """DataFrames for financing_needs, credit_commitments, applications, application_events,
    loan_instalments, loan_repayments and off_platform_loans (ids from 1). `enterprises` needs id, uscc,
    name; `products` needs id, institution_id, amount_min/max, term_min/max, rate_min/max and optionally
    repayment_method. Instalments falling due up to `paid_through` (default `as_of`) have been paid or
    missed; later ones lie ahead. `progress(done)` is told every tenth of the applications generated."""
    paid_through = max(paid_through or as_of, as_of)
    rng = np.random.default_rng([seed, 7, 0])
    # Firms' answers to grants come from a stream of their own, so the draws below stay as they were.
    answer_rng = np.random.default_rng([seed, 7, 1])
    start = (as_of.replace(day=1) - pd.DateOffset(months=months - 1)).date()
    span = (as_of - start).days
    firms = enterprises.sample(n=applications, replace=True, random_state=int(rng.integers(1 << 31)))
    prods = products.sample(n=applications, replace=True, random_state=int(rng.integers(1 << 31)))
    health = rng.normal(0, 1, applications)  # the firm's standing when it applies
    needs, commitments, apps, events, repayments, instalments = [], [], [], [], [], []

    def step(row, status, at):
        row["status"], row["updated_at"], row["version"] = status, at, row["version"] + 1

    def event(app_id, action, from_status, to_status, at, **detail):
        events.append({"id": len(events) + 1, "application_id": app_id, "action": action,
                       "from_status": from_status, "to_status": to_status, "detail": detail, "created_at": at})

    pairs = set()
    tenth = max(applications // 10, 1)
    for i in range(applications):
        if progress and i and i % tenth == 0:
            progress(i)
        firm, prod, h = firms.iloc[i], prods.iloc[i], health[i]
        # One application per firm and product in the demo history, so that none can break the database's
        # rule of one open application per firm and product (uq_applications_open_per_product).
        for _ in range(len(products)):
            if (int(firm.id), int(prod.id)) not in pairs:
                break
            prod = products.iloc[int(rng.integers(len(products)))]
        pairs.add((int(firm.id), int(prod.id)))
        app_id = i + 1
        submitted_day = start + timedelta(days=int(rng.integers(0, max(span - 3, 1))))
        submitted = _instant(submitted_day, rng)
        amount = int(rng.integers(prod.amount_min // 10_000, prod.amount_max // 10_000 + 1)) * 10_000
        term = int(rng.integers(prod.term_min, prod.term_max + 1))
        needs.append({"id": app_id, "enterprise_id": int(firm.id), "amount": amount, "term_months": term,
                      "purpose": PURPOSES[int(rng.integers(len(PURPOSES)))], "guarantee": "credit",
                      "urgency": "normal", "status": "closed", "created_at": submitted - timedelta(hours=20)})
        commitments.append({"id": app_id, "enterprise_id": int(firm.id), "kind": "proactive",
                            "text": "主动承诺型信用承诺（演示数据）", "signed_at": submitted})
        row = {"id": app_id, "enterprise_id": int(firm.id), "product_id": int(prod.id),
               "institution_id": int(prod.institution_id), "need_id": app_id, "commitment_id": app_id,
               "amount": amount, "term_months": term, "status": "submitted", "dishonesty_flag": False,
               "submitted_at": submitted, "accepted_at": None, "decision_due": None, "decided_at": None,
               "granted_amount": None, "granted_rate": None, "granted_term": None, "reject_reason": None,
               "reject_note": None, "disbursed_amount": None, "disbursed_on": None, "repaid_amount": 0,
               "repayment_method": None,
               "closed_on": None, "written_off_on": None, "updated_at": submitted, "version": 1}
        event(app_id, "submit", None, "submitted", submitted)

        if rng.random() < 0.04:
            at = submitted + timedelta(days=int(rng.integers(1, 4)))
            if at.date() < as_of:
                event(app_id, "withdraw", "submitted", "withdrawn", at)
                step(row, "withdrawn", at)
            apps.append(row)
            continue
        accepted = submitted + timedelta(days=int(rng.integers(0, 3)), hours=int(rng.integers(1, 6)))
        if accepted.date() >= as_of:
            apps.append(row)
            continue
        row["accepted_at"] = accepted
        row["decision_due"] = add_working_days(accepted.astimezone(SHANGHAI).date(), 10)
        event(app_id, "accept", "submitted", "accepted", accepted)
        step(row, "accepted", accepted)
        decided = accepted + timedelta(days=int(rng.gamma(2.0, 3.0)) + 1, hours=int(rng.integers(0, 5)))
        if decided.date() >= as_of:
            apps.append(row)
            continue
        row["decided_at"] = decided
        if rng.random() < 1 / (1 + np.exp(-(1.0 + 1.2 * h))):  # healthier firms are granted more often
            rate = float(prod.rate_min) + (float(prod.rate_max) - float(prod.rate_min)) * rng.beta(2, 3)
            method = str(getattr(prod, "repayment_method", "equal_instalment") or "equal_instalment")
            granted = min(max(int(round(amount * rng.uniform(0.6, 1.0), -4)), int(prod.amount_min)), amount)
            row.update(granted_amount=granted, granted_rate=round(rate, 3), granted_term=term,
                       repayment_method=method)
            event(app_id, "grant", "accepted", "granted", decided, amount=row["granted_amount"],
                  rate=str(row["granted_rate"]), term_months=term, repayment_method=method)
            step(row, "granted", decided)
        else:
            reason = str(rng.choice(["credit_insufficient", "repayment_capacity", "guarantee", "information"]))
            row.update(reject_reason=reason, reject_note="经审查，暂不符合本产品准入条件（演示数据）。")
            event(app_id, "reject", "accepted", "rejected", decided, reason=reason)
            step(row, "rejected", decided)
            apps.append(row)
            continue
        # 授信确认: the firm answers within a few days; a few decline (the application closes).
        answered = decided + timedelta(days=int(answer_rng.integers(0, 3)), hours=int(answer_rng.integers(1, 6)))
        declines = answer_rng.random() < 0.05
        if answered.date() >= as_of:
            apps.append(row)
            continue
        if declines:
            event(app_id, "decline", "granted", "declined", answered)
            row["closed_on"] = answered.astimezone(SHANGHAI).date()
            step(row, "declined", answered)
            apps.append(row)
            continue
        event(app_id, "confirm", "granted", "confirmed", answered)
        step(row, "confirmed", answered)
        disbursed_day = (decided + timedelta(days=int(rng.integers(1, 10)))).astimezone(SHANGHAI).date()
        disbursed_day = max(disbursed_day, answered.astimezone(SHANGHAI).date())
        if rng.random() < 0.08 or disbursed_day >= as_of:
            apps.append(row)
            continue
        row.update(disbursed_amount=int(round(row["granted_amount"] * rng.uniform(0.8, 1.0), -4)),
                   disbursed_on=disbursed_day)
        at = _instant(disbursed_day, rng)
        lines = draw(row["disbursed_amount"], row["granted_rate"], term, row["repayment_method"], disbursed_day)
        event(app_id, "disburse", "confirmed", "disbursed", at, amount=row["disbursed_amount"],
              on=disbursed_day.isoformat(), instalments=len(lines), repayment_method=row["repayment_method"])
        step(row, "disbursed", at)
        defaults = rng.random() < 1 / (1 + np.exp(3.2 + 1.2 * h))  # more often for weaker firms
        stop = int(rng.integers(0, len(lines))) if defaults else len(lines)  # the first instalment missed
        _play_schedule(app_id, row, lines, stop, paid_through, rng, event, step, repayments, instalments)
        if row["status"] == "defaulted" and row["closed_on"] is not None:
            written_off = row["closed_on"] + timedelta(days=WRITE_OFF_AFTER_DAYS)
            if written_off < as_of:  # 核销 after the bank's recovery period (no random draw: same city)
                at = datetime.combine(written_off, time(10, 0), SHANGHAI).astimezone(UTC)
                event(app_id, "write_off", "defaulted", "defaulted", at, on=written_off.isoformat())
                row["written_off_on"] = written_off
                step(row, "defaulted", at)
        apps.append(row)

    outside = []
    institutions = sorted(products["institution_id"].unique())
    for m in pd.date_range(start, as_of, freq="MS"):
        for inst in institutions:
            for _ in range(int(rng.poisson(1.5))):
                firm = enterprises.iloc[int(rng.integers(len(enterprises)))]
                outside.append({"id": len(outside) + 1, "institution_id": int(inst), "month": m.date(),
                                "uscc": firm.uscc, "enterprise_name": firm["name"],
                                "amount": int(rng.integers(10, 500)) * 10_000, "loan_count": 1})
    off = pd.DataFrame(outside).drop_duplicates(["institution_id", "month", "uscc"])
    return {"financing_needs": pd.DataFrame(needs), "credit_commitments": pd.DataFrame(commitments),
            "applications": pd.DataFrame(apps), "application_events": pd.DataFrame(events),
            "loan_instalments": pd.DataFrame(instalments), "loan_repayments": pd.DataFrame(repayments),
            "off_platform_loans": off}


def _play_schedule(app_id, row, lines, stop, paid_through, rng, event, step, repayments, instalments) -> None:
    """Pay the instalments before `stop` on their due dates (up to `paid_through`); from the missed one on,
    the loan is overdue the next day and 不良 at DEFAULT_DAYS_PAST_DUE, as services/schedules.refresh says."""
    for line in lines:
        paid = line["seq"] <= stop and line["due_on"] <= paid_through
        instalments.append({"id": len(instalments) + 1, "application_id": app_id, **line,
                            "principal_paid": line["principal"] if paid else 0,
                            "interest_paid": line["interest"] if paid else 0,
                            "settled_on": line["due_on"] if paid else None})
        if not paid:
            continue
        at = _instant(line["due_on"], rng)
        repayments.append({"id": len(repayments) + 1, "application_id": app_id, "amount": line["principal"],
                           "interest": line["interest"], "paid_on": line["due_on"], "created_at": at})
        row["repaid_amount"] += line["principal"]
        last = line["seq"] == len(lines)
        event(app_id, "repay", "disbursed", "repaid" if last else "disbursed", at,
              paid=line["principal"] + line["interest"], amount=line["principal"], interest=line["interest"],
              on=line["due_on"].isoformat())
        if last:
            row["closed_on"] = line["due_on"]
            step(row, "repaid", at)
        else:
            step(row, "disbursed", at)
    if stop >= len(lines):
        return
    missed = lines[stop]["due_on"]
    late_from = missed + timedelta(days=1)
    if late_from > paid_through:
        return
    at = _instant(late_from, rng)
    event(app_id, "overdue", "disbursed", "overdue", at, seq=stop + 1, due_on=missed.isoformat(),
          days_past_due=1, on=late_from.isoformat())
    step(row, "overdue", at)
    bad_on = missed + timedelta(days=DEFAULT_DAYS_PAST_DUE)
    if bad_on <= paid_through:
        at = _instant(bad_on, rng)
        event(app_id, "default", "overdue", "defaulted", at, days_past_due=DEFAULT_DAYS_PAST_DUE,
              rule_days=DEFAULT_DAYS_PAST_DUE, on=bad_on.isoformat(), balance=row["disbursed_amount"] - row["repaid_amount"])
        row["closed_on"] = bad_on
        step(row, "defaulted", at)


def statuses_are_consistent(apps: pd.DataFrame) -> bool:
    """Dated steps in order for every application (used by the tests)."""
    ok = apps["status"].isin(codes.APPLICATION_STATUSES)
    for before, after in (("submitted_at", "accepted_at"), ("accepted_at", "decided_at")):
        both = apps[before].notna() & apps[after].notna()
        ok &= ~both | (pd.to_datetime(apps[before], utc=True) <= pd.to_datetime(apps[after], utc=True))
    return bool(ok.all())
