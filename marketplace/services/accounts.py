"""Accounts: enterprise self-registration, institution onboarding (入驻) and commission staff."""
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from stdnum.cn import uscc as uscc_std
from werkzeug.security import check_password_hash, generate_password_hash

from .. import codes
from ..clock import now
from ..extensions import db
from ..models import Enterprise, Institution, User
from . import RuleViolation, audit, passwords


def normalise_uscc(value: str) -> str:
    """Validate a 统一社会信用代码 and return it upper-case, or raise RuleViolation with the reason."""
    raw = (value or "").strip().upper()
    try:
        return uscc_std.validate(raw)
    except uscc_std.InvalidLength:
        raise RuleViolation("统一社会信用代码应为18位。", "uscc") from None
    except uscc_std.InvalidChecksum:
        raise RuleViolation("统一社会信用代码校验位错误，请核对后重新输入。", "uscc") from None
    except uscc_std.ValidationError:
        raise RuleViolation("统一社会信用代码格式不正确（前8位为数字，其余为数字或大写字母，不含I、O、Z、S、V）。",
                            "uscc") from None


def _check_new_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise RuleViolation("请填写登录名。", "username")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise RuleViolation("该登录名已被使用，请换一个。", "username")
    return username


def _check_password(password: str, username: str) -> None:
    passwords.check(password, username)


def register_enterprise(*, uscc: str, name: str, industry: str, size: str, legal_representative: str,
                        username: str, password: str, registered_capital: int | None = None,
                        established_on: date | None = None) -> User:
    """Register a firm (入驻) and its first user in one transaction; returns the user.

    The account is checked at once (services/identity.py): verified when the registry confirms the typed name
    and legal representative, pending for staff otherwise. What the registry holds — district, industry,
    size, capital, founding date, status — is taken from it, never from the form; the form's industry and
    size only stand in for a firm the registry does not know yet. A USCC already claimed by an account that
    has not proved it is claimed again by this one (a pending claim never blocks the real firm; the first to
    prove wins); one already proved is refused (identity.FirmTaken).
    """
    from . import identity

    code = normalise_uscc(uscc)
    _claimable(code)
    name, legal_representative = (name or "").strip(), (legal_representative or "").strip()
    if not name:
        raise RuleViolation("请填写企业名称。", "name")
    if not legal_representative:
        raise RuleViolation("请填写法定代表人。", "legal_representative")
    if industry not in codes.INDUSTRIES:
        raise RuleViolation("请选择所属行业门类。", "industry")
    if size not in codes.SIZES:
        raise RuleViolation("请选择企业规模。", "size")
    username = _check_new_username(username)
    _check_password(password, username)
    claim = identity.Claim(code, name, legal_representative)
    for _ in range(2):  # a second round only when a concurrent registration created the firm meanwhile
        firm = _claimable(code)
        try:
            if firm is not None:
                return _claim_existing(firm, claim, username, password)
            return _register_new(claim, industry, size, username, password, registered_capital, established_on)
        except _FirmCreatedMeanwhile:
            continue
    raise identity.FirmTaken()


def _claimable(code: str) -> Enterprise | None:
    """The firm row of this USCC if one exists and no account has proved it yet; FirmTaken if one has."""
    from . import identity

    firm = db.session.scalar(select(Enterprise).where(Enterprise.uscc == code))
    if firm is not None and firm.is_verified:
        raise identity.FirmTaken()
    return firm


class _FirmCreatedMeanwhile(Exception):
    pass


def _claim_existing(firm: Enterprise, claim, username: str, password: str) -> User:
    """Another account claimed this USCC but has not proved it: this account claims it too (first to prove
    wins, services/identity.claim_again)."""
    from . import identity

    user = User(username=username, display_name=claim.name, role="enterprise", enterprise=firm)
    user.set_password(password)
    db.session.add(user)
    _commit_new(username, then=lambda: identity.claim_again(firm, claim, user.id))
    return user


def _register_new(claim, industry, size, username, password, registered_capital, established_on) -> User:
    from . import identity

    code, name, legal_representative = claim.uscc, claim.name, claim.legal_representative
    enterprise = Enterprise(uscc=code, name=name, region_code=codes.CITY_CODE, industry=industry, size=size,
                            legal_representative=legal_representative, registered_capital=registered_capital,
                            established_on=established_on)
    registry = identity.registry_record(code)
    if registry is not None:
        enterprise.region_code, enterprise.industry, enterprise.size = (registry.region_code, registry.industry,
                                                                        registry.size)
        enterprise.registered_capital = registry.registered_capital
        enterprise.established_on = registry.established_on
        enterprise.operating_status = registry.operating_status
    user = User(username=username, display_name=name, role="enterprise", enterprise=enterprise)
    user.set_password(password)
    db.session.add_all([enterprise, user])
    # 实名核验 needs the ids; a racing registration of the same login or firm is caught at the flush.
    _commit_new(username, uscc=code, then=lambda: identity.check(enterprise, claim, user.id))
    return user


def onboard_institution(*, name: str, kind: str, licence_no: str, region_code: str,
                        officer_username: str, officer_name: str, officer_password: str) -> User:
    """入驻: create an institution with its first bank officer account; returns the officer."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation("请填写机构名称。", "name")
    if db.session.scalar(select(Institution.id).where(Institution.name == name)):
        raise RuleViolation("该机构已入驻。", "name")
    if kind not in codes.INSTITUTION_KINDS:
        raise RuleViolation("请选择机构类型。", "kind")
    if not (licence_no or "").strip():
        raise RuleViolation("请填写许可证编号。", "licence_no")
    username = _check_new_username(officer_username)
    try:
        _check_password(officer_password, username)
    except RuleViolation as e:
        raise RuleViolation(e.message, "officer_password") from None
    institution = Institution(name=name, kind=kind, licence_no=licence_no.strip(), region_code=region_code)
    officer = User(username=username, display_name=officer_name.strip() or username, role="bank",
                   institution=institution)
    officer.set_password(officer_password)
    officer.must_change_password = True  # staff chose it: the officer replaces it at the first login
    db.session.add_all([institution, officer])
    _commit_new(username, institution=name)
    return officer


def create_user(*, username: str, password: str, role: str, display_name: str = "",
                enterprise_id: int | None = None, institution_id: int | None = None) -> User:
    """Create a login of any role (commission staff come from the CLI, demo accounts from the seed)."""
    if role not in codes.ROLES:
        raise RuleViolation("未知角色。", "role")
    if role == "enterprise" and not enterprise_id:
        raise RuleViolation("企业用户必须属于一家企业。", "enterprise_id")
    if role == "bank" and not institution_id:
        raise RuleViolation("金融机构用户必须属于一家机构。", "institution_id")
    username = _check_new_username(username)
    _check_password(password, username)
    user = User(username=username, display_name=display_name or username, role=role,
                enterprise_id=enterprise_id, institution_id=institution_id)
    user.set_password(password)
    db.session.add(user)
    _commit_new(username)
    return user


class AccountLocked(RuleViolation):
    """Too many wrong passwords in a row: no password is checked until the lock ends."""


class ClaimLost(RuleViolation):
    """The account claimed a firm that another account proved first (services/identity): it is closed."""


# Checked when the login name is unknown, so that an unknown name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _commit_new(username: str, *, uscc: str | None = None, institution: str | None = None, then=None) -> None:
    """Commit a new account (after `then()`, run once the rows have ids); when a concurrent request took the
    login name (or registered the firm or institution) between our check and our commit, the unique index
    refuses it: say which, not 500."""
    try:
        if then is not None:
            db.session.flush()
            then()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if uscc and db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)):
            raise _FirmCreatedMeanwhile() from None  # claim it as a further claimant (register_enterprise)
        if institution and db.session.scalar(select(Institution.id).where(Institution.name == institution)):
            raise RuleViolation("该机构已入驻。", "name") from None
        raise RuleViolation("该登录名已被使用，请换一个。", "username") from None


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for unknown name and bad password).
    After passwords.MAX_FAILED_LOGINS wrong passwords in a row the account is locked for
    passwords.LOCKOUT and AccountLocked is raised, even for the right password."""
    password = (password or "")[:passwords.MAX_LENGTH + 1]
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    current = now()
    if user.locked_until is not None and user.locked_until > current:
        raise AccountLocked(_locked_message(user.locked_until - current))
    if not user.check_password(password):
        # One UPDATE each, so concurrent wrong passwords all count (no lost read-modify-write).
        db.session.execute(update(User).where(User.id == user.id)
                           .values(failed_logins=User.failed_logins + 1))
        db.session.execute(update(User).where(User.id == user.id,
                                              User.failed_logins >= passwords.MAX_FAILED_LOGINS)
                           .values(locked_until=current + passwords.LOCKOUT))
        db.session.commit()
        return None
    if not user.active:
        from . import identity

        if user.role == "enterprise" and identity.lost_claim(user.id):  # the right password: say why
            raise ClaimLost("本账号已停用：该企业已由另一账号先行通过实名核验。如您确为该企业，请携营业执照和法定代表人"
                            "身份证明联系市发展改革委信用办。")
        return None
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()
    return user


def _locked_message(remaining) -> str:
    minutes = max(1, -(-int(remaining.total_seconds()) // 60))
    return (f"连续输错密码次数过多，账号已临时锁定，请{minutes}分钟后再试；"
            "如忘记密码，请联系平台工作人员重置。")


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The user's own change (修改密码): needs the current password; ends every other session."""
    if not user.check_password(current_password or ""):
        raise RuleViolation("当前密码不正确。", "current_password")
    if new_password == current_password:
        raise RuleViolation("新密码不能与当前密码相同。", "password")
    _check_password(new_password, user.username)
    user.set_password(new_password)
    user.must_change_password = False
    db.session.commit()


def reset_password(user_id: int, actor_id: int | None) -> tuple[User, str]:
    """重置密码 by commission staff: a temporary password, shown once, to be changed at the next login.
    Every session of the user ends and any lockout is lifted. Returns (user, the temporary password)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise RuleViolation("用户不存在。")
    temporary = passwords.temporary_password()
    user.set_password(temporary)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    audit.record(actor_id, "user.password_reset", user)
    db.session.commit()
    return user, temporary


def end_sessions(user: User) -> None:
    """Log the user out everywhere (logout ends the session server-side, not just in this browser)."""
    user.new_session_token()
    db.session.commit()
