"""A hostile-input sweep against a running server (gunicorn), printing how many requests were sent and how
many answered 5xx. Run by hand, never by CI:

    .venv/bin/python bench/hostile_sweep.py --base http://127.0.0.1:8120 \
        --login sme=demo_sme:PASSWORD --login bank=demo_bank:PASSWORD --login staff=demo_staff:PASSWORD \
        --api-key xyd_…

It logs in as each role, crawls the role's pages, finds every POST form (CSRF and one-time tokens included,
as a browser sends them) and submits each field with each hostile value; then it sends hostile query
strings, ids ≥ 2³¹ / 2⁶³ in every numeric URL segment it saw, hostile JSON bodies to /api/v1, and races two
one-click applications to the same product. Standard library only.
"""
import argparse
import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html.parser import HTMLParser

HOSTILE = [str(2**63), str(-(2**63) - 1), str(2**31), "9" * 40, "1e309", "inf", "-Infinity", "NaN", "sNaN", "-1",
           "0", "0.001", "12.3456789", "１２", "abc", "", "9999-12", "0001-01", "9999-12-31", "2026-02-30",
           "a\x00b", "x" * 5000, "行\u2028分隔", "=HYPERLINK(\"http://evil.example\")", "<script>alert(1)</script>"]
START = {
    "anonymous": ["/", "/products", "/auth/register", "/auth/login"],
    "sme": ["/enterprise/", "/enterprise/needs/new", "/enterprise/authorizations", "/enterprise/objections",
            "/enterprise/applications", "/enterprise/credit", "/products"],
    "bank": ["/bank/", "/bank/products/new", "/bank/applications", "/bank/off-platform", "/bank/matches"],
    "staff": ["/commission/", "/commission/denominators", "/commission/institutions/new", "/commission/api-keys",
              "/commission/objections?status=all", "/commission/sharing", "/commission/indicators",
              "/commission/statistics"],
}
QUERIES = {
    "anonymous": ["/products?{}", ["amount", "term", "institution", "max_rate", "page", "q", "sort"]],
    "sme": ["/enterprise/apply?{}", ["product_ids", "product", "need_id"]],
    "bank": ["/bank/applications?{}", ["page", "product", "status"]],
    "staff": ["/commission/indicators?{}", ["month", "scope"]],
}
SKIP_ACTIONS = ("/auth/logout", "/activate", "/data/import")
# Plausible values for fields a page leaves empty, so that the other fields pass and the hostile one reaches
# the service and the database.
DEFAULTS = {"amount_wan": "50", "term_months": "12", "purpose": "购置设备", "description": "说明", "name": "测试名称",
            "amount_min_wan": "10", "amount_max_wan": "100", "term_min": "3", "term_max": "12", "rate_min": "3.5",
            "rate_max": "5", "rate": "4.1", "note": "说明", "reason": "other", "month": "2026-09",
            "uscc": "91370102MA3C4XKL85", "enterprise_name": "测试企业", "loan_count": "1", "year": "2025",
            "value": "1000", "source": "统计局", "licence_no": "B1", "officer_name": "王五",
            "officer_username": "sweep_officer", "officer_password": "a-long-password-1", "resolution": "核查",
            "legal_representative": "张三", "username": "sweep_user", "password": "a-long-password-1",
            "confirm": "a-long-password-1", "registered_capital_wan": "100", "established_on": "2018-05-01",
            "record_source": "tax_records", "kind": "error", "authorize": "y", "commitment": "y", "scopes": "profile"}


class Forms(HTMLParser):
    """The POST forms of a page: action and the fields a browser would send (first option of a select)."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form, self._select = [], set(), None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.add(a["href"])
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(a["name"], a.get("value", "y"))
            elif kind != "file" and kind != "submit":
                self._form["fields"][a["name"]] = a.get("value", "")
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._select and self._form is not None:
            if not self._form["fields"].get(self._select):
                self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


class Session:
    def __init__(self, base, stats):
        self.base, self.stats = base, stats
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def send(self, path, data=None, headers=None, method=None):
        body = None
        if isinstance(data, dict):
            body = urllib.parse.urlencode(data).encode()
        elif isinstance(data, bytes):
            body = data
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=60) as r:
                status, text = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode("utf-8", "replace")
        self.stats["requests"] += 1
        if status >= 500:
            self.stats["5xx"] += 1
            self.stats["5xx_where"][f"{method or ('POST' if body else 'GET')} {path.split('?')[0]}"] += 1
        return status, text

    def forms(self, path):
        status, html = self.send(path)
        parser = Forms()
        parser.feed(html)
        return parser, status

    def login(self, username, password):
        parser, _ = self.forms("/auth/login")
        form = next(f for f in parser.forms if "csrf_token" in f["fields"])
        status, _ = self.send("/auth/login", {**form["fields"], "username": username, "password": password})
        assert status == 200, f"login of {username} failed"


def sweep_forms(s: Session, pages):
    seen, queue = set(), list(pages)
    for path in list(queue):  # one level of links: detail pages of the records the role can see
        parser, _ = s.forms(path)
        for link in sorted(parser.links):
            if re.search(r"/\d+(/edit)?$", link) and len(queue) < 40 and link not in queue:
                queue.append(link)
    for path in queue:
        parser, _ = s.forms(path)
        for i, form in enumerate(parser.forms):
            action = form["action"] or path
            if any(x in action for x in SKIP_ACTIONS) or (action, tuple(form["fields"])) in seen:
                continue
            seen.add((action, tuple(form["fields"])))
            for name in [n for n in form["fields"] if n not in ("csrf_token",)]:
                fresh, _ = s.forms(path)  # fresh one-time tokens for each field
                fields = (fresh.forms[i] if i < len(fresh.forms) else form)["fields"]
                fields = {k: v or DEFAULTS.get(k, v) for k, v in fields.items()}
                for value in HOSTILE:
                    s.send(action, {**fields, name: value})
    return queue


def sweep_queries(s: Session, template, names):
    for name in names:
        for value in HOSTILE:
            s.send(template.format(urllib.parse.urlencode({name: value})))


def sweep_ids(s: Session, paths):
    for path in paths:
        for big in (str(2**63), str(2**31), "0", "-1"):
            s.send(re.sub(r"/\d+(?=/|$)", "/" + big, path, count=1))


def sweep_api(s: Session, key):
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    status, text = s.send("/api/v1/applications?per_page=5", headers=auth)
    ids = [a["id"] for a in json.loads(text)["items"]] if status == 200 else []
    bodies = [b"[]", b'"x"', b"42", b"null", b"[" * 30_000 + b"]" * 30_000, b"[" * 50_000 + b"]" * 50_000,
              b"{bad", b" " * 70_000, b'{"decision": "grant", "amount": 9223372036854775808, "rate": "4", "term_months": 12}',
              b'{"decision": "grant", "amount": 100000, "rate": NaN, "term_months": 12}',
              b'{"decision": "reject", "reason": ["other"], "note": {"x": 1}}',
              b'{"decision": "reject", "reason": "other", "note": "a\\u0000b"}',
              b'{"amount": 1e400, "date": "9999-12-31"}', b'{"status": "defaulted", "date": "0001-01-01"}']
    for app_id in ids[:2] or [1]:
        for action in ("accept", "decision", "disbursement", "repayments", "loan-status"):
            for body in bodies:
                s.send(f"/api/v1/applications/{app_id}/{action}", body, headers=auth, method="POST")
    for value in HOSTILE:
        for name in ("page", "per_page", "status"):
            s.send("/api/v1/applications?" + urllib.parse.urlencode({name: value}), headers=auth)
    for big in (str(2**63), str(2**31), "0"):
        s.send(f"/api/v1/applications/{big}", headers=auth)


def race_applies(base, stats, username, password, rounds=8) -> int:
    """Two one-click applications to the same product at once (two tabs, each with its own tokens), for
    `rounds` products. Returns the rounds raced; count open duplicates in the database afterwards:
    SELECT enterprise_id, product_id FROM applications WHERE status IN ('submitted', 'accepted')
    GROUP BY 1, 2 HAVING count(*) > 1."""
    s = Session(base, stats)
    s.login(username, password)
    _, html = s.send("/products")
    raced = 0
    for product_id in sorted({int(x) for x in re.findall(r'href="/products/(\d+)"', html)})[:rounds]:
        page = f"/enterprise/apply?product_ids={product_id}"
        forms = []
        for _ in range(2):
            parser, _ = s.forms(page)
            form = next((f for f in parser.forms if "commitment" in f["fields"]), None)
            if form:
                forms.append({**form["fields"], "commitment": "y", "authorize": "y", "amount_wan": "50",
                              "term_months": "12", "product_ids": str(product_id)})
        if len(forms) < 2:
            continue
        threads = [threading.Thread(target=s.send, args=(page, f)) for f in forms]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        raced += 1
    return raced


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8120")
    ap.add_argument("--login", action="append", default=[], help="role=username:password (sme, bank, staff)")
    ap.add_argument("--api-key", default=None)
    args = ap.parse_args()
    stats = {"requests": 0, "5xx": 0, "5xx_where": Counter()}
    logins = {role: tuple(cred.split(":", 1)) for role, cred in (x.split("=", 1) for x in args.login)}
    visited = []
    for role in START:
        s = Session(args.base, stats)
        if role != "anonymous":
            if role not in logins:
                continue
            s.login(*logins[role])
        visited += sweep_forms(s, START[role])
        template, names = QUERIES[role]
        sweep_queries(s, template, names)
        sweep_ids(s, [p for p in visited if re.search(r"/\d+", p)])
    if args.api_key:
        sweep_api(Session(args.base, stats), args.api_key)
    raced = race_applies(args.base, stats, *logins["sme"]) if "sme" in logins else 0
    print(f"requests: {stats['requests']}")
    print(f"one-click application races: {raced} rounds of 2 concurrent requests")
    print(f"5xx: {stats['5xx']}")
    for where, n in stats["5xx_where"].most_common():
        print(f"  {n:5d}  {where}")


if __name__ == "__main__":
    main()
