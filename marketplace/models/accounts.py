"""Login accounts of the three roles (企业用户 / 金融机构用户 / 发改委用户)."""
import secrets

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .. import codes
from ..extensions import db, login_manager
from .base import UTCDateTime, one_of, utcnow


class User(UserMixin, db.Model):
    """A person who logs in. An enterprise user belongs to one firm, a bank officer to one institution."""

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", codes.ROLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))  # a firm's name (Enterprise.name)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Server-side session revocation: the login cookie carries this token; a new one (logout, password
    # change, reset) ends every session opened with the old one.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    # Lockout after repeated wrong passwords (services/passwords.py owns the rule).
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until = mapped_column(UTCDateTime, nullable=True)
    # A password issued by staff (onboarding, reset) must be replaced at the next login.
    must_change_password: Mapped[bool] = mapped_column(default=False)

    enterprise = relationship("Enterprise")
    institution = relationship("Institution")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.new_session_token()

    def new_session_token(self) -> None:
        self.session_token = secrets.token_hex(16)

    def get_id(self) -> str:  # what Flask-Login keeps in the session cookie
        return f"{self.id}:{self.session_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active


class FormSubmission(db.Model):
    """The one-time token of a submitted form (inputs.OnceForm): a second POST with the same token — a
    double click, a resent request — is recognised by the primary key and creates nothing."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie, or None when its token was revoked (logout, password change)."""
    uid, _, token = (user_id or "").partition(":")
    if not uid.isdigit() or not token:
        return None
    user = db.session.get(User, int(uid))
    if user is None or not secrets.compare_digest(user.session_token or "", token):
        return None
    return user
