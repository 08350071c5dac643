"""Views: register an enterprise, log in (each role to its own workspace), log out."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..services import RuleViolation, accounts
from ..web import wan_to_yuan
from . import bp
from .forms import LoginForm, RegisterEnterpriseForm

HOME_OF_ROLE = {"enterprise": "enterprise.home", "bank": "bank.home", "commission": "commission.home"}


def workspace_url(user) -> str:
    return url_for(HOME_OF_ROLE[user.role])


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/register", methods=["GET", "POST"])
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
def login():
    if current_user.is_authenticated:
        return redirect(workspace_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append("登录名或密码错误，或账号已停用。")
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or workspace_url(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("public.index"))
