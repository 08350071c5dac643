"""Views: register an enterprise, log in (each role to its own workspace), log out, change the password."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter
from ..services import RuleViolation, accounts
from ..web import show_violation, wan_to_yuan
from . import bp
from .forms import ChangePasswordForm, LoginForm, RegisterEnterpriseForm

HOME_OF_ROLE = {"enterprise": "enterprise.home", "bank": "bank.home", "commission": "commission.home"}


def workspace_url(user) -> str:
    return url_for(HOME_OF_ROLE[user.role])


def _safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never an open redirect. Browsers drop tabs and
    newlines from a URL and read a backslash as a slash, so "/<TAB>/evil.example" and "/<BACKSLASH>evil.example"
    mean "//evil.example" (another site): any control character, space or backslash refuses the target."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.before_app_request
def _require_password_change():
    """A password issued by staff (onboarding, reset) must be replaced before anything else is done."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static")):
        if request.method == "GET":
            flash("您的密码由平台工作人员设置，请先修改密码后再继续使用。", "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    form = RegisterEnterpriseForm()
    if form.validate_on_submit():
        try:
            capital = form.registered_capital_wan.data
            user = accounts.register_enterprise(
                uscc=form.uscc.data, name=form.name.data, industry=form.industry.data, size=form.size.data,
                legal_representative=form.legal_representative.data,
                registered_capital=wan_to_yuan(capital) if capital is not None else None,
                established_on=form.established_on.data,
                username=form.username.data, password=form.password.data)
        except RuleViolation as e:
            getattr(form, e.field or "uscc").errors.append(e.message)
        else:
            login_user(user)
            if user.enterprise.is_verified:
                flash("注册成功，已通过实名核验（与市场监管登记信息一致），欢迎入驻信易贷平台。", "success")
            else:
                flash("注册成功。您填写的信息未能与市场监管登记信息自动核对一致，账号待平台人工核验。", "warning")
            return redirect(workspace_url(user))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(workspace_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data)
        except (accounts.AccountLocked, accounts.ClaimLost) as e:
            form.password.errors.append(e.message)
        else:
            if user is None:
                form.password.errors.append("登录名或密码错误，或账号已停用。")
            else:
                login_user(user)
                if user.must_change_password:
                    return redirect(url_for(".change_password"))
                return redirect(_safe_next(request.args.get("next")) or workspace_url(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # A new session token ends this session on the server too: a copy of the cookie no longer works.
    accounts.end_sessions(current_user._get_current_object())
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("public.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """修改密码, for every role; ends the user's other sessions and keeps this one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.password.data)
        except RuleViolation as e:
            show_violation(form, e, "password")
        else:
            login_user(user)  # the cookie now carries the new session token
            flash("密码已修改，其他设备上的登录已退出。", "success")
            return redirect(workspace_url(user))
    return render_template("auth/password.html", form=form)
