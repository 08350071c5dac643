"""Pages that list related rows load them with the list: the number of SQL statements a page sends does not
grow with the rows it shows (a SQLAlchemy event counter; counts, never times)."""
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event
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
