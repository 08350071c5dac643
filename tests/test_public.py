"""The home page and the product supermarket as a visitor sees them."""
from marketplace.extensions import db

from .conftest import make_enterprise, make_institution, make_product


def test_home_page_shows_totals_and_supermarket(client, app):
    with app.app_context():
        inst = make_institution()
        make_product(inst, name="税易贷")
        make_product(inst, name="已暂停贷", status="paused")
        make_enterprise()
    html = client.get("/").get_data(as_text=True)
    for label in ("金融产品超市", "入驻企业", "入驻金融机构", "发布产品", "累计融资"):
        assert label in html
    assert "税易贷" in html and "已暂停贷" not in html
    totals = html[html.index('id="totals"'):]
    assert '<div class="fs-3 fw-bold">1</div>' in totals  # one firm, one institution, one active product


def test_supermarket_filters_and_sorts(client, app):
    with app.app_context():
        a = make_institution("甲银行")
        b = make_institution("乙小贷", kind="microcredit")
        make_product(a, name="甲信用贷", kind="credit", rate_min=3.2, amount_max=5_000_000, online_only=True)
        make_product(a, name="甲抵押贷", kind="mortgage", rate_min=3.0, amount_max=50_000_000, term_max=120)
        make_product(b, name="乙小额贷", kind="credit", rate_min=8.0, rate_max=12.0, amount_max=500_000)
        b_id = b.id

    def names(query):
        html = client.get("/products" + query).get_data(as_text=True)
        return [n for n in ("甲信用贷", "甲抵押贷", "乙小额贷") if n in html], html

    assert names("?kind=credit")[0] == ["甲信用贷", "乙小额贷"]
    assert names("?amount=1000")[0] == ["甲抵押贷"]  # 1,000万元 only fits the mortgage loan
    assert names("?term=60")[0] == ["甲抵押贷"]
    assert names("?max_rate=5")[0] == ["甲信用贷", "甲抵押贷"]
    assert names("?online=1")[0] == ["甲信用贷"]
    assert names(f"?institution={b_id}")[0] == ["乙小额贷"]
    assert names("?q=小额")[0] == ["乙小额贷"]
    assert names("?q=乙小贷")[0] == ["乙小额贷"], "search also matches the institution name"
    html = names("?sort=rate")[1]
    assert html.index("甲抵押贷") < html.index("甲信用贷") < html.index("乙小额贷")
    assert "共 0 个产品" in names("?kind=ip_pledge")[1]
    for query in ("amount=abc", "term=-1", "amount=inf", "max_rate=NaN", "institution=9223372036854775808",
                  "page=99999999999999999999"):
        bad = client.get(f"/products?{query}")
        assert bad.status_code == 400 and "参数“" in bad.get_data(as_text=True), query


def test_product_detail_and_paused_product(client, app):
    with app.app_context():
        inst = make_institution()
        live = make_product(inst, name="详情贷", eligible_regions=["370102"], amount_min=100_000, amount_max=2_500_000)
        paused = make_product(inst, name="停售贷", status="paused")
        ids = live.id, paused.id
    html = client.get(f"/products/{ids[0]}").get_data(as_text=True)
    assert "详情贷" in html and "历下区" in html and "10–250 万元" in html
    assert client.get(f"/products/{ids[1]}").status_code == 404
    assert client.get("/products/99999").status_code == 404


def test_money_is_shown_in_wan(app):
    from marketplace.filters import wan

    assert wan(12_345_600) == "1,234.56"
    assert wan(30_000) == "3"
    assert wan(None) == "—"
    with app.app_context():
        db.session.remove()


def test_every_page_title_is_plain_text(app):
    """A page's <title> holds text only: no template may leak markup into its title block."""
    import re
    from pathlib import Path

    for path in Path(app.template_folder).rglob("*.html"):
        for title in re.findall(r"{% block title %}(.*?){% endblock %}", path.read_text(), flags=re.S):
            assert "<" not in title and "\n" not in title, path
