"""The load mix of bench/load.py (locust): anonymous visitors, SME owners, bank officers and commission staff
in the proportions of a city's users. Pages are named by route so the report has one line per page; pages
with an id (a need's recommendations, an application, a firm) take ids the user's own pages link to."""
import random
import re
import time

from locust import HttpUser, between, task

from seed.accounts import DEMO_PASSWORD

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class _LoggedIn(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        # The login form is rate-limited per address (all simulated users share 127.0.0.1): wait as told.
        for _ in range(20):
            page = self.client.get("/auth/login", name="login").text
            token = TOKEN.search(page).group(1)
            with self.client.post("/auth/login", data={"csrf_token": token, "username": self.username,
                                                       "password": DEMO_PASSWORD}, name="login",
                                  catch_response=True) as r:
                if r.status_code == 429:
                    r.success()  # the limit working as designed, not a failure of the site
                    time.sleep(float(r.headers.get("Retry-After", 5)))
                    continue
                if "/auth/login" in r.url:
                    r.failure("login refused")
                return

    def ids(self, url: str, pattern: str, name: str) -> list[str]:
        return re.findall(pattern, self.client.get(url, name=name).text)


class Visitor(HttpUser):
    weight = 50
    wait_time = between(1, 3)

    @task(3)
    def supermarket(self):
        kind = random.choice(["", "credit", "guarantee", "mortgage"])
        self.client.get(f"/products?kind={kind}&sort={random.choice(['rate', 'amount', 'newest'])}",
                        name="/products?filters")

    @task(1)
    def home(self):
        self.client.get("/", name="/ (home)")


class Firm(_LoggedIn):
    weight = 30
    wait_time = between(1, 3)
    username = "sme_demo"

    @task(3)
    def credit(self):
        self.client.get("/enterprise/credit", name="/enterprise/credit")

    @task(2)
    def home(self):
        self.client.get("/enterprise/", name="/enterprise/")

    @task(1)
    def applications(self):
        self.client.get("/enterprise/applications", name="/enterprise/applications")

    @task(2)
    def recommendations(self):
        needs = self.ids("/enterprise/", r"/enterprise/needs/(\d+)/recommendations", "/enterprise/")
        if needs:
            self.client.get(f"/enterprise/needs/{random.choice(needs)}/recommendations",
                            name="/enterprise/needs/<id>/recommendations")


class Bank(_LoggedIn):
    weight = 15
    wait_time = between(1, 3)
    username = "bank_demo"

    @task(3)
    def queue(self):
        self.client.get("/bank/applications", name="/bank/applications")

    @task(1)
    def home(self):
        self.client.get("/bank/", name="/bank/")

    @task(1)
    def matches(self):
        self.client.get("/bank/matches", name="/bank/matches")

    @task(2)
    def application_and_firm(self):
        apps = self.ids("/bank/applications", r"/bank/applications/(\d+)\"", "/bank/applications")
        if apps:
            page = self.client.get(f"/bank/applications/{random.choice(apps)}", name="/bank/applications/<id>").text
            firms = re.findall(r"/bank/firms/(\d+)", page)
            if firms:
                self.client.get(f"/bank/firms/{firms[0]}", name="/bank/firms/<id>")


class Staff(_LoggedIn):
    weight = 5
    wait_time = between(2, 5)
    username = "admin_demo"

    @task(2)
    def home(self):
        self.client.get("/commission/", name="/commission/")

    @task(1)
    def indicators(self):
        self.client.get("/commission/indicators", name="/commission/indicators")

    @task(1)
    def statistics(self):
        self.client.get("/commission/statistics", name="/commission/statistics")

    @task(1)
    def jobs(self):
        self.client.get("/commission/jobs", name="/commission/jobs")

    @task(1)
    def sharing(self):
        self.client.get("/commission/sharing", name="/commission/sharing")

    @task(1)
    def firms(self):
        self.client.get(f"/commission/firms?q=济南{random.choice('华信泰盛')}", name="/commission/firms?q")

    @task(1)
    def access_log(self):
        self.client.get("/commission/access-log", name="/commission/access-log")
