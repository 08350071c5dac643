"""实名核验: whether an account that registered as a firm has proved it is that firm — the one owner of
`Enterprise.identity_status` and of the `identity_checks` rows.

A claim (USCC, firm name, legal representative as typed) is put to the proofs in PROOFS, in order; the
first that verifies it wins. Today there is one proof, the market-regulation registry (在营企业数据库,
imported by commission staff): the USCC is in it, the firm is not 注销/吊销, and the typed name and legal
representative both equal the registry's (after Unicode NFKC folding and removing spaces, so （） and ()
are the same). Anything else leaves the account `pending` in the staff queue (核验队列), where staff see
the claim beside the registry and approve or refuse with a reason (audited, the firm notified).

The seam for a stronger proof (电子营业执照 scan, 法人实名 face check through a licensed provider): write a
function `claim -> Evidence` and add it to PROOFS (or to app.config["IDENTITY_PROOFS"]). It must return
Evidence(verified=True) only when that provider confirmed the claim; nothing here pretends to call one.

A pending or refused firm's account sees none of the firm's data and cannot act in its name:
`require_verified` is called by every service that acts for a firm, and the enterprise blueprint shows
such an account only its status page and its messages.

Competing claims (USCCs are public, so anyone can type one): a claim that has not proved itself never
blocks the real firm. While no account has proved a USCC, any number of accounts may claim it, each with
its own claim row, its own status page and its own messages (never another claimant's typing or staff's
reasons about it). **The first claim to prove itself wins** — at registration when the registry confirms it,
or when staff approve it in the queue, where competing claims of one USCC are shown side by side. At that
moment every other account that claimed the firm is closed (its claim `superseded`, the account inactive,
its sessions ended; its login says why), so only the proven account ever sees the firm's data. The race of
two claimants is decided under the firm row's lock (workflow.transition's compare-and-set on
`identity_status`): of two claims proving at once exactly one wins, the other is told the firm is taken.
Pending claims do not expire: as they block nobody, they wait for staff, who see them as competing.
"""
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from flask import current_app
from sqlalchemy import func, select, union_all, update

from .. import codes
from ..clock import now
from ..extensions import db
from ..limits import TEXT
from ..models import Enterprise, IdentityCheck, RegistryEnterprise, User
from . import RuleViolation, notifications, workflow

MISMATCHES = {
    "not_in_registry": "市场监管登记信息中没有这个统一社会信用代码",
    "not_operating": "登记状态为注销或吊销",
    "name": "企业名称与登记信息不一致",
    "legal_representative": "法定代表人与登记信息不一致",
    "registry_lacks_legal_representative": "登记信息未载明法定代表人，无法自动核对",
}
METHODS = {"registry": "市场监管登记信息比对", "staff": "人工核验"}
DECISIONS = {"approved": "通过", "refused": "拒绝", "superseded": "失效（另一账号已先证明是该企业）"}
SUPERSEDED_REASON = "该企业已由另一账号先行证明身份，本账号的核验申请失效"
CLOSED_STATUSES = ("revoked", "cancelled")
REASON_MAX_LENGTH = TEXT["note"]  # staff's 核验意见: the column, the form and this service share it


@dataclass(frozen=True)
class Claim:
    """Who an account says it is."""

    uscc: str
    name: str
    legal_representative: str


@dataclass
class Evidence:
    """What one proof found about a claim."""

    method: str
    verified: bool
    mismatches: list[str] = field(default_factory=list)
    registry_name: str | None = None
    registry_legal_representative: str | None = None
    registry_region_code: str | None = None


class NotVerified(RuleViolation):
    """The firm's account has not passed 实名核验: it may not act in the firm's name."""

    def __init__(self):
        super().__init__("本企业账号尚未通过实名核验，暂不能进行此操作。核验通过后即可使用。")


def same(a: str | None, b: str | None) -> bool:
    """Names compare equal after NFKC folding (full-width brackets, letters) and without any whitespace."""
    def fold(s):
        return "".join(unicodedata.normalize("NFKC", s or "").split())
    return bool(fold(a)) and fold(a) == fold(b)


def registry_record(uscc: str) -> RegistryEnterprise | None:
    return db.session.scalar(select(RegistryEnterprise).where(RegistryEnterprise.uscc == uscc))


# ------------------------------------------------------------------ who represents a firm (法定代表人)
# The one answer, read by joint punishment screening (a listed person is a hit for every firm they represent)
# and by the pages that show a firm: the market-regulation registry's 法定代表人; the name the firm declared at
# registration (Enterprise.legal_representative, the claim 实名核验 checks) only where the registry states none
# (no registry row yet, or an older registry file without the column).

def _stated(column):
    return func.coalesce(func.trim(column), "") != ""


def representatives(names=None):
    """A subquery (uscc, name): who represents each firm the platform knows — every registry firm that names
    its legal representative, and each platform firm the registry names none for. `names` (a select of person
    names) narrows both branches to these people, so the database starts from them (index on the name) instead
    of reading every firm's representative."""
    r, e = RegistryEnterprise, Enterprise
    stated = select(r.uscc, r.legal_representative.label("name")).where(_stated(r.legal_representative))
    declared = select(e.uscc, e.legal_representative.label("name")).where(
        _stated(e.legal_representative),
        ~select(r.id).where(r.uscc == e.uscc, _stated(r.legal_representative)).exists())
    if names is not None:
        stated = stated.where(r.legal_representative.in_(names))
        declared = declared.where(e.legal_representative.in_(names))
    return union_all(stated, declared).subquery("representatives")


def legal_representative(firm: Enterprise) -> str | None:
    """Who represents this firm (法定代表人), by the rule above."""
    stated = db.session.scalar(select(RegistryEnterprise.legal_representative)
                               .where(RegistryEnterprise.uscc == firm.uscc))
    name = (stated or "").strip() or (firm.legal_representative or "").strip()
    return name or None


def compare(claim: Claim, name, legal_representative, status, *, found: bool) -> list[str]:
    """The mismatches between a claim and one registry row (empty: the claim is verified)."""
    if not found:
        return ["not_in_registry"]
    out = []
    if status in CLOSED_STATUSES:
        out.append("not_operating")
    if not same(claim.name, name):
        out.append("name")
    if not (legal_representative or "").strip():
        out.append("registry_lacks_legal_representative")
    elif not same(claim.legal_representative, legal_representative):
        out.append("legal_representative")
    return out


def registry_proof(claim: Claim) -> Evidence:
    """The market-regulation registry the commission imported (the only proof shipped)."""
    row = registry_record(claim.uscc)
    if row is None:
        return Evidence("registry", False, compare(claim, None, None, None, found=False))
    mismatches = compare(claim, row.name, row.legal_representative, row.operating_status, found=True)
    return Evidence("registry", not mismatches, mismatches, row.name, row.legal_representative, row.region_code)


PROOFS: list[Callable[[Claim], Evidence]] = [registry_proof]


def _proofs() -> list[Callable[[Claim], Evidence]]:
    return current_app.config.get("IDENTITY_PROOFS") or PROOFS


class FirmTaken(RuleViolation):
    """Another account has already proved it is this firm."""

    def __init__(self):
        super().__init__("该统一社会信用代码已注册并已通过实名核验，请直接登录；如非本企业操作，请联系平台。", "uscc")


def check(enterprise: Enterprise, claim: Claim, user_id: int | None) -> IdentityCheck:
    """Put the claim to the proofs and record the outcome; sets the firm's status. Added, not committed:
    registration commits it together with the new account. For a firm already on the platform that no
    account has proved yet, see `claim_again`."""
    row = _put(enterprise, claim, user_id)
    enterprise.identity_status = row.outcome
    return row


def claim_again(enterprise: Enterprise, claim: Claim, user_id: int) -> IdentityCheck:
    """A further account claims a firm no account has proved yet (pending or refused): its own claim row;
    if the proofs verify it, it wins and every other claimant is closed. Through workflow.transition (audit
    row `enterprises.claim`, the firm row locked): when another claim won meanwhile, FirmTaken. Flushed, not
    committed: registration commits it with the new account."""
    out = {}

    def apply(firm):
        row = out["row"] = _put(firm, claim, user_id)
        if row.outcome == "verified":
            _win(firm, row)
        return row.outcome, {"check_id": row.id, "user_id": user_id, "outcome": row.outcome}

    try:
        workflow.transition(enterprise, "claim", subject="实名核验", label="提交核验", state="identity_status",
                            apply=apply, allowed_from=("pending", "refused"), statuses=codes.IDENTITY_STATUSES,
                            actor_id=user_id, commit=False)
    except workflow.ConcurrentChange:
        raise FirmTaken() from None
    except RuleViolation:  # the firm is verified already
        raise FirmTaken() from None
    return out["row"]


def _put(enterprise: Enterprise, claim: Claim, user_id: int | None) -> IdentityCheck:
    results = [proof(claim) for proof in _proofs()]
    evidence = next((e for e in results if e.verified), results[0])
    row = IdentityCheck(enterprise=enterprise, user_id=user_id, method=evidence.method, typed_name=claim.name,
                        typed_legal_representative=claim.legal_representative,
                        registry_name=evidence.registry_name,
                        registry_legal_representative=evidence.registry_legal_representative,
                        registry_region_code=evidence.registry_region_code, mismatches=evidence.mismatches,
                        outcome="verified" if evidence.verified else "pending")
    db.session.add(row)
    db.session.flush()
    return row


def _win(firm: Enterprise, row: IdentityCheck) -> None:
    """The claim `row` proved the firm: the firm takes its typed name and legal representative, and every
    other account that claimed the firm is closed (claim superseded, account inactive, sessions ended)."""
    firm.name, firm.legal_representative = row.typed_name, row.typed_legal_representative
    others = db.session.scalars(select(IdentityCheck).where(
        IdentityCheck.enterprise_id == firm.id, IdentityCheck.id != row.id, IdentityCheck.user_id.is_not(None),
        IdentityCheck.user_id != row.user_id)).all()
    moment = now()
    for other in others:
        if other.decision is None:
            other.decision, other.decision_reason, other.decided_at = "superseded", SUPERSEDED_REASON, moment
    losers = {o.user_id for o in others} - {row.user_id}
    for user in db.session.scalars(select(User).where(User.id.in_(losers), User.enterprise_id == firm.id)):
        user.active = False
        user.new_session_token()


def claimants(enterprise_id: int) -> int:
    """How many accounts have claimed the firm."""
    return len(set(db.session.scalars(select(IdentityCheck.user_id).where(
        IdentityCheck.enterprise_id == enterprise_id, IdentityCheck.user_id.is_not(None)))))


def claim_of(user) -> IdentityCheck | None:
    """The account's own latest claim; an account created without one (seed, staff) reads the firm's."""
    return db.session.scalar(select(IdentityCheck).where(IdentityCheck.user_id == user.id)
                             .order_by(IdentityCheck.id.desc()).limit(1)) or latest_check(user.enterprise_id)


def lost_claim(user_id: int) -> bool:
    """The account's claim was superseded: another account proved the firm first."""
    return db.session.scalar(select(IdentityCheck.id).where(IdentityCheck.user_id == user_id,
                                                            IdentityCheck.decision == "superseded").limit(1)) is not None


def require_verified(enterprise_id: int | None) -> Enterprise:
    firm = db.session.get(Enterprise, enterprise_id) if enterprise_id else None
    if firm is None or not firm.is_verified:
        raise NotVerified()
    return firm


def latest_check(enterprise_id: int) -> IdentityCheck | None:
    return db.session.scalar(select(IdentityCheck).where(IdentityCheck.enterprise_id == enterprise_id)
                             .order_by(IdentityCheck.id.desc()).limit(1))


def queue() -> list[IdentityCheck]:
    """核验队列: checks that did not verify and await a staff decision, oldest first."""
    return db.session.scalars(select(IdentityCheck).join(Enterprise)
                              .where(IdentityCheck.outcome == "pending", IdentityCheck.decision.is_(None),
                                     Enterprise.identity_status == "pending")
                              .order_by(IdentityCheck.id)).all()


def competing(rows: list[IdentityCheck]) -> dict[int, list[IdentityCheck]]:
    """Per firm of the queue, its pending claims when there is more than one (staff see them as competing)."""
    by_firm: dict[int, list[IdentityCheck]] = {}
    for r in rows:
        by_firm.setdefault(r.enterprise_id, []).append(r)
    return {k: v for k, v in by_firm.items() if len(v) > 1}


def decide(check_id: int, staff_user_id: int, *, approve: bool, reason: str) -> IdentityCheck:
    """Staff approve (the firm is verified) or refuse (it stays shut out) a pending check, with a reason —
    through the one lock-event-audit mechanism (audit row `enterprises.verify` / `enterprises.refuse`), the
    firm told by 站内消息."""
    row = db.session.get(IdentityCheck, check_id)
    if row is None:
        raise RuleViolation("核验记录不存在。")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("请填写核验意见（理由）。", "reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise RuleViolation(f"核验意见最长{REASON_MAX_LENGTH}字。", "reason")
    if row.decision is not None:
        raise RuleViolation("该核验已处理。")

    def apply(firm):
        row.decision = "approved" if approve else "refused"
        row.decision_reason, row.decided_by, row.decided_at = reason, staff_user_id, now()
        if approve:
            _win(firm, row)
            return "verified", {"check_id": row.id, "reason": reason}
        # another account's claim still waiting keeps the firm pending (it may be the real firm)
        waiting = db.session.scalar(select(IdentityCheck.id).where(
            IdentityCheck.enterprise_id == firm.id, IdentityCheck.id != row.id, IdentityCheck.outcome == "pending",
            IdentityCheck.decision.is_(None)).limit(1))
        return ("pending" if waiting else "refused"), {"check_id": row.id, "reason": reason}

    def notify(firm, to_status, detail):  # to the claimant's own account: competing claimants never read it
        if approve:
            notifications.to_enterprise(firm.id, "实名核验已通过",
                                        f"平台工作人员已核验本企业身份：{reason}。现在可以查看信用画像、发布需求和申请贷款。",
                                        user_id=row.user_id)
        else:
            notifications.to_enterprise(firm.id, "实名核验未通过",
                                        f"平台工作人员未能核实本企业身份：{reason}。如确为本企业，请携营业执照和法定代表人"
                                        "身份证明联系市发展改革委信用办重新核验。", user_id=row.user_id)

    try:
        workflow.transition(row.enterprise, "verify" if approve else "refuse", subject="实名核验",
                            label="核验通过" if approve else "拒绝", state="identity_status", apply=apply,
                            allowed_from=("pending",), statuses=codes.IDENTITY_STATUSES, role="commission",
                            actor_role="commission", actor_id=staff_user_id, notify=notify)
    except workflow.ConcurrentChange:
        raise RuleViolation("该核验已处理。") from None
    return row


def verify_pending_against_registry() -> dict:
    """Run the registry proof for every pending firm that staff have not decided, in bulk (the seeded demo
    city, and firms whose registry row arrived after they registered). A firm that verifies gets a verified
    check; one that does not and has no check yet gets a pending one, so staff see it in the queue.
    Returns counts."""
    e, r = Enterprise.__table__, RegistryEnterprise.__table__
    decided = select(IdentityCheck.enterprise_id).where(IdentityCheck.decision.is_not(None))
    # competing claims are staff's to decide: the firm row holds only the first claimant's typing
    contested = (select(IdentityCheck.enterprise_id).where(IdentityCheck.user_id.is_not(None))
                 .group_by(IdentityCheck.enterprise_id).having(func.count(IdentityCheck.user_id.distinct()) > 1))
    checked = set(db.session.scalars(select(IdentityCheck.enterprise_id).distinct()))
    rows = db.session.execute(
        select(e.c.id, e.c.uscc, e.c.name, e.c.legal_representative, r.c.name.label("reg_name"),
               r.c.legal_representative.label("reg_legal"), r.c.operating_status, r.c.region_code)
        .join(r, r.c.uscc == e.c.uscc)
        .where(e.c.identity_status == "pending", e.c.id.not_in(decided), e.c.id.not_in(contested))).all()
    df = pd.DataFrame(rows, columns=["id", "uscc", "name", "legal", "reg_name", "reg_legal", "status", "region"])
    if df.empty:
        return {"checked": 0, "verified": 0}
    df["mismatches"] = [compare(Claim(u, n, lr), rn, rl, s, found=True) for u, n, lr, rn, rl, s in
                        zip(df["uscc"], df["name"], df["legal"], df["reg_name"], df["reg_legal"], df["status"],
                            strict=True)]
    ok = df["mismatches"].map(len) == 0
    new = df.loc[ok | ~df["id"].isin(checked)]
    if not new.empty:
        moment = now()
        db.session.execute(IdentityCheck.__table__.insert(), [
            {"enterprise_id": int(x.id), "user_id": None, "method": "registry", "typed_name": x.name,
             "typed_legal_representative": x.legal or "", "registry_name": x.reg_name,
             "registry_legal_representative": x.reg_legal, "registry_region_code": x.region,
             "mismatches": list(x.mismatches), "outcome": "pending" if x.mismatches else "verified",
             "created_at": moment} for x in new.itertuples()])
    ids = [int(i) for i in df.loc[ok, "id"]]
    for start in range(0, len(ids), 10_000):
        db.session.execute(update(Enterprise).where(Enterprise.id.in_(ids[start:start + 10_000]))
                           .values(identity_status="verified"))
    db.session.commit()
    return {"checked": len(df), "verified": len(ids)}
