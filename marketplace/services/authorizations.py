"""数据授权: which institution may see which firm's data, for what and until when; and the access log."""
from datetime import date

from sqlalchemy import insert, select

from .. import codes
from ..clock import now
from ..extensions import db
from ..models import AccessLog, DataAuthorization, Enterprise, Institution
from . import RuleViolation, workflow
from .workdays import today

ALL_SCOPES = list(codes.AUTHORIZATION_SCOPES)
MAX_VALIDITY_DAYS = 3 * 366


class NotAuthorized(RuleViolation):
    """The institution has no valid authorization from the firm: the caller answers 403 and shows nothing."""

    def __init__(self):
        super().__init__("该企业未授权本机构查看其数据，或授权已过期、已撤回。")


def _validate(institution_id: int, scopes: list, valid_until: date) -> list:
    if not db.session.get(Institution, institution_id):
        raise RuleViolation("请选择金融机构。", "institution_id")
    scopes = [s for s in dict.fromkeys(scopes or []) if s]
    if not scopes or any(s not in codes.AUTHORIZATION_SCOPES for s in scopes):
        raise RuleViolation("请选择授权范围（至少一项）。", "scopes")
    if valid_until is None:
        raise RuleViolation("请填写授权截止日期。", "valid_until")
    if valid_until < today():
        raise RuleViolation("授权截止日期不能早于今天。", "valid_until")
    if (valid_until - today()).days > MAX_VALIDITY_DAYS:
        raise RuleViolation("授权期限最长三年。", "valid_until")
    return scopes


def grant(enterprise_id: int, institution_id: int, *, scopes: list, valid_until: date,
          user_id: int | None = None, commit: bool = True, widen: bool = False) -> DataAuthorization:
    """Authorize an institution with exactly the scopes the firm chose. An existing valid authorization
    gains scopes or a later end date only when the firm said so (`widen`, a tick on the page it acted on);
    otherwise a wider request is refused, never applied silently."""
    from .identity import require_verified

    require_verified(enterprise_id)
    scopes = _validate(institution_id, scopes, valid_until)
    current = valid_authorization(enterprise_id, institution_id)
    if current is not None:
        wider = sorted(set(current.scopes) | set(scopes), key=ALL_SCOPES.index)
        later = max(current.valid_until, valid_until)
        if (wider != current.scopes or later != current.valid_until) and not widen:
            raise RuleViolation(f"本企业对{current.institution.name}已有授权（{scope_labels(current.scopes)}，"
                                f"至{current.valid_until}）；扩大范围或延长期限须勾选确认。", "widen")

        def apply(auth):
            auth.scopes, auth.valid_until = wider, later
            return "valid", {"scopes": auth.scopes, "valid_until": auth.valid_until, "widened": True}
        auth = current
    else:
        auth = DataAuthorization(enterprise_id=enterprise_id, institution_id=institution_id, scopes=scopes,
                                 valid_until=valid_until, granted_by=user_id)

        def apply(auth):
            return "valid", {"scopes": scopes, "valid_until": valid_until}
    return workflow.transition(auth, "grant", subject="授权", label="授权", state=authorization_state, apply=apply,
                               actor_id=user_id, commit=commit)


def scope_labels(scopes) -> str:
    return "、".join(codes.AUTHORIZATION_SCOPES[s] for s in scopes if s in codes.AUTHORIZATION_SCOPES)


def authorization_state(auth: DataAuthorization) -> str:
    return "revoked" if auth.revoked_at is not None else "valid"


def revoke(authorization: DataAuthorization, enterprise_id: int, user_id: int | None = None) -> DataAuthorization:
    """撤回授权, effective at once: the next page the bank opens is refused."""
    if authorization.enterprise_id != enterprise_id:
        raise RuleViolation("只能撤回本企业的授权。")
    if authorization.revoked_at is None:
        def apply(auth):
            auth.revoked_at = now()
            return "revoked", {}
        workflow.transition(authorization, "revoke", subject="授权", label="撤回", state=authorization_state,
                            allowed_from=("valid",), apply=apply, actor_id=user_id)
    return authorization


def _verified_firms():
    """Only an authorization given by a verified firm (实名核验) counts: one from an account that has not
    proved it is the firm — or was refused — opens nothing."""
    return select(Enterprise.id).where(Enterprise.identity_status == "verified")


def valid_authorization(enterprise_id: int, institution_id: int, scope: str | None = None,
                        on: date | None = None) -> DataAuthorization | None:
    on = on or today()
    rows = db.session.scalars(select(DataAuthorization).where(
        DataAuthorization.enterprise_id == enterprise_id, DataAuthorization.institution_id == institution_id,
        DataAuthorization.revoked_at.is_(None), DataAuthorization.valid_until >= on,
        DataAuthorization.enterprise_id.in_(_verified_firms()))
        .order_by(DataAuthorization.id.desc())).all()
    for auth in rows:
        if scope is None or scope in auth.scopes:
            return auth
    return None


def authorizing(institution_id: int):
    """A select of the firms that currently authorize the institution, for pages that join it in SQL."""
    return select(DataAuthorization.enterprise_id).where(
        DataAuthorization.institution_id == institution_id,
        DataAuthorization.revoked_at.is_(None), DataAuthorization.valid_until >= today(),
        DataAuthorization.enterprise_id.in_(_verified_firms()))


def authorized_enterprise_ids(institution_id: int, enterprise_ids) -> set[int]:
    """Of these firms (every firm when None), those that currently authorize the institution (one query)."""
    stmt = authorizing(institution_id)
    if enterprise_ids is not None:
        ids = list(enterprise_ids)
        if not ids:
            return set()
        stmt = stmt.where(DataAuthorization.enterprise_id.in_(ids))
    return set(db.session.scalars(stmt))


def open_firm_data(institution_id: int, enterprise_id: int, *, what: str, user_id: int | None = None,
                   api_key_id: int | None = None) -> DataAuthorization:
    """The gate in front of every display of a firm's data to an institution: refuses without a valid
    authorization (NotAuthorized), otherwise writes the access-log row and returns the authorization."""
    auth = valid_authorization(enterprise_id, institution_id)
    if auth is None:
        raise NotAuthorized()
    db.session.add(AccessLog(user_id=user_id, api_key_id=api_key_id, institution_id=institution_id,
                             enterprise_id=enterprise_id, what=what))
    db.session.commit()
    return auth


def log_list_read(institution_id: int, enterprise_ids, *, what: str, user_id: int) -> None:
    """A list that shows authorizing firms' data (需求撮合: grade, district, industry, size) is a read of each of
    them: one access-log row per firm shown, written in one statement."""
    ids = sorted({int(e) for e in enterprise_ids})
    if ids:
        db.session.execute(insert(AccessLog), [
            {"user_id": user_id, "institution_id": institution_id, "enterprise_id": e, "what": what} for e in ids])
        db.session.commit()


def revealed(auth: DataAuthorization, firm) -> dict:
    """What an authorization's scopes reveal of the firm — the ONE scope policy the bank pages and the API
    follow: the score and its reasons only under 'score', the department trends only under 'department',
    the list entries only under 'records'; what is not granted is None / empty, never fetched."""
    from . import credit

    score = credit.current_scores([firm.id]).get(firm.id) if "score" in auth.scopes else None
    # 'records': penalties, lists, broken commitments, each record under objection marked 异议处理中
    records = credit.public_records(firm, today()) if "records" in auth.scopes else None
    return {"score": score, "reasons": credit.reason_texts(score),
            "favourable": credit.favourable_factors(score, plain=False),
            "trends": credit.department_trends(firm.uscc) if "department" in auth.scopes else None,
            "list_entries": records["list_entries"] if records else [], "records": records}


def access_history(enterprise_id: int, limit: int = 100) -> list[AccessLog]:
    """查阅记录: every opening of this firm's data by an institution, newest first — shown to the firm."""
    return db.session.scalars(select(AccessLog).where(AccessLog.enterprise_id == enterprise_id)
                              .order_by(AccessLog.id.desc()).limit(limit)).all()
