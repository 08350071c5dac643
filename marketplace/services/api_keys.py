"""Per-institution API keys for /api/v1/: issued by the commission, stored as SHA-256, revocable."""
import hashlib
import hmac
import secrets

from sqlalchemy import select

from ..clock import now
from ..extensions import db
from ..models import ApiKey, Institution
from . import RuleViolation, workflow

KEY_PREFIX = "xyd_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(institution_id: int, name: str, user_id: int | None = None) -> tuple[ApiKey, str]:
    """A new key for the institution: returns (row, the key in clear) — the clear key is shown once."""
    if not db.session.get(Institution, institution_id):
        raise RuleViolation("请选择金融机构。", "institution_id")
    name = (name or "").strip() or "机构系统"
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(institution_id=institution_id, name=name[:64], prefix=prefix, key_hash=_hash(key), created_by=user_id)
    workflow.transition(row, "issue", subject="密钥", label="签发", state=key_state, actor_id=user_id,
                        apply=lambda r: ("active", {"institution_id": institution_id, "prefix": prefix}))
    return row, key


def key_state(row: ApiKey) -> str:
    return "revoked" if row.revoked_at is not None else "active"


def authenticate(key: str | None) -> ApiKey | None:
    """The live key row for a presented key, or None (unknown, malformed, revoked)."""
    if not key or not key.startswith(KEY_PREFIX) or key.count("_") < 2:
        return None
    prefix = key[len(KEY_PREFIX):].split("_", 1)[0]
    row = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _hash(key)):
        return None
    row.last_used_at = now()
    db.session.commit()
    return row


def revoke(key_id: int, user_id: int | None = None) -> ApiKey:
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise RuleViolation("密钥不存在。")
    if row.revoked_at is None:
        def apply(r):
            r.revoked_at = now()
            return "revoked", {}
        workflow.transition(row, "revoke", subject="密钥", label="吊销", state=key_state, allowed_from=("active",),
                            apply=apply, actor_id=user_id)
    return row
