"""The load mix of bench/load.py (locust): anonymous visitors, SME owners, bank officers and commission staff
in the proportions of a city's users. Pages are named by route so the report has one line per page."""
import random
import re

from locust import HttpUser, between, task

PASSWORD = "demo2026!"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class _LoggedIn(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        page = self.client.get("/auth/login", name="login").text
        token = TOKEN.search(page).group(1)
        self.client.post("/auth/login", data={"csrf_token": token, "username": self.username,
                                              "password": PASSWORD}, name="login")


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
