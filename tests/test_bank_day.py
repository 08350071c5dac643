"""A bank officer's working day: the queue puts what needs action first, the home page lists what is due,
the application page shows the firm's grade (under authorization, logged) and every repayment with its
amount, and a refused decision keeps what the officer typed with each error beside its field."""
import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AccessLog, Application, Institution, User
from marketplace.money import wan
from marketplace.services import applications, authorizations, workdays
from marketplace.services.applications import Actor

from .test_bank_workbench import _submitted


def _bank_actor():
    return Actor(role="bank", institution_id=db.session.scalar(select(Institution.id)))


def _ids_in_order(html: str) -> list[int]:
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    return [int(x) for x in re.findall(r'href="/bank/applications/(\d+)"', table)]


def test_queue_lists_what_needs_action_first_with_badges_and_days_left(client, auth, users, app):
    ids = [_submitted(app, users, name=f"产品{i}")[0] for i in range(4)]
    with app.app_context():
        bank = _bank_actor()
        for i in ids[:3]:
            applications.accept(i, bank)
        applications.grant(ids[0], bank, amount=100_000, rate="4", term_months=12)
        late = db.session.get(Application, ids[2])
        late.decision_due = workdays.today() - timedelta(days=7)  # accepted long ago
        db.session.commit()
    auth.login(users["bank"])
    html = client.get("/bank/applications").get_data(as_text=True)
    # submitted first, then accepted by deadline (the late one first), then the decided ones
    assert _ids_in_order(html) == [ids[3], ids[2], ids[1], ids[0]]
    assert "超期" in html and "剩 10 个工作日" in html
    assert 'class="badge text-bg-primary">已提交' in html and "已授信" in html


def test_home_to_do_panel_lists_overdue_due_soon_and_waiting(client, auth, users, app):
    ids = [_submitted(app, users, name=f"产品{i}")[0] for i in range(3)]
    with app.app_context():
        bank = _bank_actor()
        applications.accept(ids[0], bank)
        applications.accept(ids[1], bank)
        db.session.get(Application, ids[0]).decision_due = workdays.today() - timedelta(days=3)
        db.session.get(Application, ids[1]).decision_due = workdays.add_working_days(workdays.today(), 1)
        db.session.commit()
    auth.login(users["bank"])
    html = client.get("/bank/").get_data(as_text=True)
    todo = html[html.index('id="todo"'):]
    overdue = todo[todo.index("已超过答复期限"):todo.index("3个工作日内到期")]
    soon = todo[todo.index("3个工作日内到期"):todo.index("待受理")]
    waiting = todo[todo.index("待受理"):]
    assert f"#{ids[0]}" in overdue and f"#{ids[1]}" in soon and f"#{ids[2]}" in waiting
    assert "剩 1 个工作日" in soon


def test_application_page_shows_grade_and_reasons_only_under_authorization_and_logs_it(client, auth, users, app):
    app_id, firm_id = _submitted(app, users)
    auth.login(users["bank"])
    html = client.get(f"/bank/applications/{app_id}").get_data(as_text=True)
    assert "企业信用等级" in html and ">A</span>" in html and "按时缴纳社保36个月" in html
    with app.app_context():
        logs = db.session.scalars(select(AccessLog)).all()
        assert [(x.enterprise_id, x.what) for x in logs] == [(firm_id, "application_page")]
        authorizations.revoke(authorizations.valid_authorization(firm_id, logs[0].institution_id), firm_id)
    html = client.get(f"/bank/applications/{app_id}").get_data(as_text=True)
    assert "按时缴纳社保36个月" not in html and "企业未授权本机构查看信用评分" in html
    with app.app_context():
        assert len(db.session.scalars(select(AccessLog)).all()) == 1, "nothing shown, nothing logged"


def test_each_repayment_shows_its_amount_in_the_timeline_and_the_repayment_list(client, auth, users, app):
    app_id = _disbursed(app, users, "测试信用贷", term_months=12)
    with app.app_context():
        applications.repay(app_id, _bank_actor(), amount=120_000, on=workdays.today())
    auth.login(users["bank"])
    html = client.get(f"/bank/applications/{app_id}").get_data(as_text=True)
    timeline = html[html.index("办理记录"):]
    assert "登记还款</b>：12 万元" in timeline and "其中本金" in timeline and "余额" in timeline
    assert "已放款 → 已放款" not in timeline
    assert "放款</b>：50 万元" in timeline and "4.2" in timeline
    assert "还款记录" in html


def test_refused_grant_keeps_the_values_and_puts_each_error_beside_its_field(client, auth, users, app):
    app_id, _ = _submitted(app, users)
    with app.app_context():
        applications.accept(app_id, _bank_actor())
    auth.login(users["bank"])
    page = f"/bank/applications/{app_id}"
    response = client.submit(f"{page}/grant", {"amount_wan": "", "rate": "", "term_months": "18", "version": "2"},
                             page=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("is-invalid") == 2 and "请填写授信金额。" in html and "请填写年利率。" in html
    assert re.search(r'name="term_months"[^>]*value="18"', html), "the term typed is kept"
    # A rate above 36 % (refused by the bounded rate field) comes back under the rate field, the amount kept.
    response = client.submit(f"{page}/grant", {"amount_wan": "30", "rate": "48", "term_months": "12",
                                               "version": "2"}, page=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "应为 0.001 至 36 之间的数" in html
    assert re.search(r'name="amount_wan"[^>]*value="30', html)
    field = html[html.index('name="rate"'):]
    assert field.index("应为 0.001 至 36 之间的数") < field.index("</form>")
    with app.app_context():
        assert db.session.get(Application, app_id).status == "accepted", "nothing was saved"
        assert db.session.scalar(select(User.id).where(User.username == users["bank"]))


def _disbursed(app, users, name, term_months=6):
    """An application of the demo firm accepted, granted (50万, 4.2 %), confirmed and disbursed today."""
    app_id, firm_id = _submitted(app, users, name=name)
    with app.app_context():
        bank = _bank_actor()
        applications.accept(app_id, bank)
        applications.grant(app_id, bank, amount=500_000, rate="4.2", term_months=term_months)
        applications.confirm(app_id, Actor(role="enterprise", enterprise_id=firm_id))
        applications.disburse(app_id, bank, amount=500_000, on=workdays.today())
    return app_id


def test_home_to_do_panel_lists_instalments_past_due_and_due_soon_linking_to_the_repayment_form(
        client, auth, users, app):
    late, soon, later, paid = (_disbursed(app, users, f"贷款{i}") for i in range(4))
    today = workdays.today()
    with app.app_context():
        def lines(app_id):
            return db.session.get(Application, app_id).instalments
        lines(late)[0].due_on, lines(late)[1].due_on = today - timedelta(days=5), today - timedelta(days=2)
        lines(soon)[0].due_on = workdays.add_working_days(today, 2)
        lines(later)[0].due_on = workdays.add_working_days(today, 6)
        lines(paid)[0].due_on = today - timedelta(days=3)
        db.session.commit()
        applications.repay(paid, _bank_actor(), amount=lines(paid)[0].due, on=today)  # paid in full, on time or not
        due_soon_amount = lines(soon)[0].outstanding
    auth.login(users["bank"])
    html = client.get("/bank/").get_data(as_text=True)
    todo = html[html.index('id="todo"'):html.index("本机构产品")]
    overdue = todo[todo.index("逾期未还的还款"):todo.index("3个工作日内应还的还款")]
    coming = todo[todo.index("3个工作日内应还的还款"):]
    assert f'href="/bank/applications/{late}#action-repay">#{late}' in overdue
    assert "逾期未还的还款（1 笔）" in overdue, "one line per loan: its oldest unpaid instalment"
    assert "第 1 期" in overdue and "逾期 5 天" in overdue and str(today - timedelta(days=5)) in overdue
    assert f'href="/bank/applications/{soon}#action-repay">#{soon}' in coming
    assert f"尚欠 {wan(due_soon_amount)} 万元" in coming
    for app_id in (later, paid):
        assert f"#{app_id}<" not in todo, app_id
    # the link leads to the page where the repayment is recorded
    page = client.get(f"/bank/applications/{late}").get_data(as_text=True)
    assert 'id="action-repay"' in page and "登记还款" in page


def test_instalments_to_collect_is_the_banks_own_and_leaves_settled_and_defaulted_loans_out(app, users):
    from marketplace.services import schedules

    app_id = _disbursed(app, users, "贷款")
    with app.app_context():
        a = db.session.get(Application, app_id)
        a.instalments[0].due_on = workdays.today() - timedelta(days=1)
        db.session.commit()
        mine = schedules.instalments_to_collect(a.institution_id)
        assert [x.application_id for x in mine["overdue"]] == [app_id]
        other = Institution(name="另一家银行", kind="bank", licence_no="X", region_code="370100")
        db.session.add(other)
        db.session.commit()
        assert schedules.instalments_to_collect(other.id) == {"overdue": [], "due_soon": []}
        a.status = "defaulted"
        db.session.commit()
        assert schedules.instalments_to_collect(a.institution_id)["overdue"] == []
