"""Password rules: the policy every new password meets, the lockout after wrong passwords, and the
temporary passwords staff hand out (which must be changed at the first login)."""
import secrets
import string
from datetime import timedelta
from functools import cache
from importlib import resources

from . import RuleViolation

MIN_LENGTH = 10
MAX_LENGTH = 128  # hashing a megabyte of "password" is a cheap denial of service
# Wrong passwords in a row before the account is locked; the lock lasts LOCKOUT. Kept in the database so
# that every gunicorn worker sees it (the per-address rate limit of the login form is per worker).
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
POLICY_TEXT = f"密码至少{MIN_LENGTH}位，不能是常见密码，也不能包含登录名。"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (marketplace/data/common_passwords.txt), lower case."""
    text = resources.files("marketplace").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check(password: str | None, username: str | None) -> None:
    """Raise RuleViolation (field "password") unless the password meets the policy."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise RuleViolation(f"密码至少{MIN_LENGTH}位。", "password")
    if len(password) > MAX_LENGTH:
        raise RuleViolation(f"密码不能超过{MAX_LENGTH}位。", "password")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        raise RuleViolation("该密码过于常见、容易被猜到，请换一个。", "password")
    name = (username or "").strip().lower()
    if name and (lowered == name or (len(name) >= 3 and name in lowered)):
        raise RuleViolation("密码不能包含登录名。", "password")


def temporary_password() -> str:
    """A random password for staff to hand over (reset, onboarding); it meets the policy."""
    alphabet = string.ascii_letters + string.digits
    alphabet = "".join(c for c in alphabet if c not in "0O1lI")  # read aloud or copied from paper
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate
