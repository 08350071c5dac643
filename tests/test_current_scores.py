"""A firm's current score is read from enterprise_current_scores, kept when scores are written (one at a time or
in bulk): the latest by as_of, then id. 需求撮合 and the matcher join that table instead of ranking every score
row ever written (statements counted, never timed)."""
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import select
from stdnum.cn import uscc as uscc_code

from marketplace.extensions import db
from marketplace.models import CurrentScore, DataAuthorization, EnterpriseScore, FinancingNeed
from marketplace.services import bulk, credit

from .conftest import make_enterprise, make_institution, make_product
from .test_query_counts import statements


def _uscc(n: int) -> str:
    body = f"91370102MB{n:07d}"
    return body + uscc_code.calc_check_digit(body)


def _score(firm_id, grade, as_of):
    db.session.add(EnterpriseScore(enterprise_id=firm_id, model_version="t", as_of=as_of, pd="0.02", score=700,
                                   grade=grade, reasons=[]))
    db.session.commit()


def test_the_current_score_is_the_latest_by_date_then_by_id(app):
    with app.app_context():
        firm, other = make_enterprise(uscc=_uscc(1)), make_enterprise(uscc=_uscc(2), name="另一家企业有限公司")
        _score(firm.id, "BBB", date(2026, 10, 31))
        _score(firm.id, "C", date(2026, 9, 30))  # written later but describes an earlier month: not current
        _score(other.id, "A", date(2026, 10, 31))
        assert credit.current_grade([firm.id, other.id]) == {firm.id: "BBB", other.id: "A"}
        _score(firm.id, "AA", date(2026, 10, 31))  # same date, newer row: current
        assert credit.current_grade() == {firm.id: "AA", other.id: "A"}
        assert db.session.query(CurrentScore).count() == 2
        assert credit.grades_of([firm.id, other.id]) == {firm.id: ("AA", 0.02), other.id: ("A", 0.02)}


def test_bulk_written_scores_become_current_for_the_firms_refreshed(app):
    with app.app_context():
        firms = [make_enterprise(uscc=_uscc(10 + k), name=f"批量企业{k}有限公司") for k in range(3)]
        for f in firms:
            _score(f.id, "B", date(2026, 9, 30))
        rows = pd.DataFrame({"enterprise_id": [f.id for f in firms], "model_version": "bulk",
                             "as_of": date(2026, 10, 31), "pd": 0.01, "score": 750, "grade": "AAA",
                             "reasons": [[] for _ in firms], "created_at": datetime.now(UTC)})
        conn = db.session.connection()
        bulk.write_frame(conn, EnterpriseScore.__table__, rows)
        credit.refresh_current(conn, [firms[0].id, firms[1].id])  # the third firm is not refreshed yet
        db.session.commit()
        assert credit.current_grade([f.id for f in firms]) == {firms[0].id: "AAA", firms[1].id: "AAA",
                                                               firms[2].id: "B"}
        credit.refresh_current(db.session.connection())
        db.session.commit()
        assert set(credit.current_grade().values()) == {"AAA"}


def _city(app, start, n, rescorings):
    """n firms that authorized the bank, each with an open need and `rescorings` score rows."""
    with app.app_context():
        for k in range(start, start + n):
            firm = make_enterprise(uscc=_uscc(100 + k), name=f"撮合企业{k}有限公司")
            db.session.add(FinancingNeed(enterprise_id=firm.id, amount=1_000_000, term_months=12, purpose="周转",
                                         status="open"))
            db.session.add(DataAuthorization(enterprise_id=firm.id, institution_id=1, scopes=["score"],
                                             valid_until=date(2099, 1, 1)))
            for r in range(rescorings):
                _score(firm.id, "A" if r % 2 else "BBB", date(2026, 10 - r, 28))
        db.session.commit()


def test_matches_page_reads_current_scores_without_ranking_score_history(app, client, auth):
    from marketplace.services import accounts

    with app.app_context():
        inst = make_institution(name="撮合银行")
        make_product(inst, name="撮合贷")
        accounts.create_user(username="banker", password="correct-horse-1", role="bank", institution_id=inst.id)
    _city(app, 1, 2, 1)
    auth.login("banker")
    with statements(app) as few:
        assert client.get("/bank/matches").status_code == 200
    _city(app, 3, 6, 4)  # more firms, and each scored four times
    with statements(app) as many:
        page = client.get("/bank/matches")
    assert page.status_code == 200
    assert len(many) == len(few), "the page sends as many statements for 8 firms × 4 scorings as for 2 × 1"
    assert not [s for s in many if "row_number" in s.lower() or " over (" in s.lower()], \
        "no window function ranks the score history on a page view"
    assert not [s for s in many if s.count("?") + s.count("%(") > 900], "no parameter list grows with the city"
    html = page.get_data(as_text=True)
    with app.app_context():
        latest = db.session.scalar(select(EnterpriseScore.grade).join(CurrentScore, CurrentScore.score_id
                                                                      == EnterpriseScore.id).limit(1))
    assert latest in html
