"""The demo accounts: one login per role on the first seeded firm and institution (`flask demo` prints them)."""

DEMO_PASSWORD = "demo2026!"
DEMO_ACCOUNTS = (("sme_demo", "enterprise", "企业用户"), ("bank_demo", "bank", "金融机构用户"),
                 ("admin_demo", "commission", "发改委用户"))


def ensure_demo_accounts() -> list[tuple[str, str, str]]:
    """The demo logins (one per role) on the first seeded firm and institution; created if missing."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.models import Enterprise, Institution, User
    from marketplace.services import accounts

    firm = db.session.scalar(select(Enterprise).order_by(Enterprise.id))
    institution = db.session.scalar(select(Institution).order_by(Institution.id))
    owners = {"enterprise": {"enterprise_id": firm.id, "display_name": firm.name},
              "bank": {"institution_id": institution.id, "display_name": f"{institution.name} 客户经理"},
              "commission": {"display_name": "市发展改革委 信用办"}}
    shown = []
    for username, role, label in DEMO_ACCOUNTS:
        if not db.session.scalar(select(User.id).where(User.username == username)):
            accounts.create_user(username=username, password=DEMO_PASSWORD, role=role, **owners[role])
        shown.append((label, username, owners[role]["display_name"]))
    return shown
