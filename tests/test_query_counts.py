"""Pages that list related rows load them with the list: the number of SQL statements a page sends does not
grow with the rows it shows (a SQLAlchemy event counter; counts, never times)."""
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event, func, select
from stdnum.cn import uscc as uscc_code

from marketplace.extensions import db
from marketplace.models import Application, Institution, User

from .conftest import make_enterprise, make_institution, make_product


@contextmanager
def statements(app):
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _uscc(n: int) -> str:
    body = f"91370102MA{n:07d}"
    return body + uscc_code.calc_check_digit(body)


def _add_city(app, start: int, n: int) -> None:
    """n more firms, each with a product of its own institution and one late (accepted, overdue) application."""
    with app.app_context():
        for k in range(start, start + n):
            firm = make_enterprise(uscc=_uscc(k), name=f"济南测试企业{k}有限公司")
            inst = db.session.get(Institution, 1) if k % 2 else make_institution(name=f"测试银行{k}")
            product = make_product(inst, name=f"产品{k}")
            db.session.add(Application(enterprise_id=firm.id, product_id=product.id, institution_id=inst.id,
                                       amount=500_000, term_months=12, status="accepted",
                                       decision_due=date(2020, 1, 2), disbursed_amount=None))
        db.session.commit()


def _count(app, client, url) -> int:
    with statements(app) as sent:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(sent)


PAGES = {"commission": ["/commission/"], "bank": ["/bank/", "/bank/applications"], None: ["/", "/products"]}


def test_list_pages_send_as_many_statements_for_many_rows_as_for_few(app, client, auth):
    with app.app_context():
        inst = make_institution(name="测试银行")
        from marketplace.services import accounts

        accounts.create_user(username="staff", password="correct-horse-1", role="commission")
        accounts.create_user(username="banker", password="correct-horse-1", role="bank", institution_id=inst.id)
    _add_city(app, 1, 3)
    few = {}
    for role, urls in PAGES.items():
        if role:
            auth.login({"commission": "staff", "bank": "banker"}[role])
        few.update({url: _count(app, client, url) for url in urls})
        if role:
            auth.logout()
    _add_city(app, 4, 12)
    with app.app_context():
        assert db.session.query(Application).count() == 15 and db.session.query(User).count() == 2
    for role, urls in PAGES.items():
        if role:
            auth.login({"commission": "staff", "bank": "banker"}[role])
        for url in urls:
            many = _count(app, client, url)
            assert many == few[url], f"{url}: {few[url]} statements for 3 rows, {many} for 15 (a query per row)"
            assert many <= 15, f"{url}: {many} statements"
        if role:
            auth.logout()


def _add_loans(app, start: int, n: int) -> None:
    """n more firms of the bank (institution 1), each with a loan 逾期 five days (not yet 不良: nothing for
    the day's refresh to move), an application waiting to be accepted and one whose decision is due soon."""
    from marketplace.models import LoanInstalment
    from marketplace.services import workdays

    today = workdays.today()
    with app.app_context():
        inst = db.session.get(Institution, 1)
        for k in range(start, start + n):
            firm = make_enterprise(uscc=_uscc(500 + k), name=f"济南放款企业{k}有限公司")
            loan, waiting = make_product(inst, name=f"贷款产品{k}"), make_product(inst, name=f"待办产品{k}")
            overdue = Application(enterprise_id=firm.id, product_id=loan.id, institution_id=inst.id, amount=500_000,
                                  term_months=12, status="overdue", disbursed_amount=500_000,
                                  disbursed_on=today - timedelta(days=40))
            db.session.add_all([overdue, Application(enterprise_id=firm.id, product_id=waiting.id,
                                                     institution_id=inst.id, amount=300_000, term_months=12,
                                                     status="submitted"),
                                Application(enterprise_id=firm.id, product_id=loan.id, institution_id=inst.id,
                                            amount=200_000, term_months=6, status="accepted",
                                            decision_due=workdays.add_working_days(today, 1))])
            db.session.flush()
            db.session.add_all([LoanInstalment(application_id=overdue.id, seq=1, due_on=today - timedelta(days=5),
                                               principal=40_000, interest=2_000, principal_paid=0, interest_paid=0),
                                LoanInstalment(application_id=overdue.id, seq=2, due_on=today + timedelta(days=25),
                                               principal=40_000, interest=2_000, principal_paid=0, interest_paid=0)])
        db.session.commit()


def test_bank_home_and_queue_send_as_many_statements_for_many_loans_and_waiting_applications(app, client, auth):
    """The day's refresh of past-due loans, the 待办 lists and the queue: one query each, whatever the number of
    loans 逾期, applications 待受理 and decisions due soon."""
    from marketplace.services import accounts

    with app.app_context():
        inst = make_institution(name="放款银行")
        accounts.create_user(username="banker", password="correct-horse-1", role="bank", institution_id=inst.id)
    _add_loans(app, 1, 2)
    auth.login("banker")
    urls = ["/bank/", "/bank/applications", "/bank/applications?status=overdue"]
    few = {url: _count(app, client, url) for url in urls}
    _add_loans(app, 3, 10)
    home = client.get("/bank/").get_data(as_text=True)
    for k in (1, 12):  # every loan and application of the panel shows its firm
        assert home.count(f"济南放款企业{k}有限公司") == 3, "逾期 instalment, 待受理 and decision due soon"
    for url in urls:
        many = _count(app, client, url)
        assert many == few[url], f"{url}: {few[url]} statements for 2 firms' loans, {many} for 12"
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Application.status == "overdue")) == 12, \
            "five days past due is not yet 不良: the refresh moved nothing"
