"""Load benchmark: a Jinan-scale city on PostgreSQL, gunicorn + the job worker, locust headless over loopback.

    .venv/bin/python bench/load.py --database-url postgresql://ci@127.0.0.1:54329/bench_city [--scale 0.1]

Builds the city once into that database (28,000 platform firms with 24 months of department data among a
580,000-firm registry, 63 institutions, 250 products, 100,000 applications with their authorizations, the
demo accounts, and open needs for 3 % of the firms; `--scale` shrinks firms, registry and applications), trains
and scores it, reuses it when already seeded, starts gunicorn as the README recommends (`--workers 4 --timeout
120`) and `huey_consumer`, drives the mix of bench/locustfile.py for `--duration` seconds at each `--users`
level and prints requests/s, p50/p95/p99 per page, failures and the load average (the machine's other work is in those figures: read them beside it).
"""
import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(cmd, env, **kw):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kw)


def sizes(scale: float) -> tuple[int, int]:
    """(platform firms, applications) of a city at this fraction of Jinan's."""
    return max(int(28_000 * scale), 500), max(int(100_000 * scale), 1_000)


def registry_size(scale: float) -> int:
    return max(int(580_000 * scale), sizes(scale)[0])


def city_in(env) -> tuple[int, int]:
    """(firms, applications) already in the database (after migrating it)."""
    probe = ("from marketplace import create_app; from marketplace.extensions import db; from sqlalchemy import text\n"
             "app = create_app()\nwith app.app_context():\n"
             "    from flask_migrate import upgrade; upgrade()\n"
             "    print(db.session.scalar(text('SELECT count(*) FROM enterprises')),"
             " db.session.scalar(text('SELECT count(*) FROM applications')))")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    firms, apps = out.stdout.split()[-2:]
    return int(firms), int(apps)


def build_city(env, scale: float, seed: int, reset: bool) -> None:
    firms, apps = sizes(scale)
    flask = [str(BIN / "flask"), "--app", "marketplace"]
    started = time.perf_counter()
    run(flask + ["seed", "--enterprises", str(firms), "--registry", str(registry_size(scale)), "--institutions", "63",
                 "--products", "250", "--months", "24", "--applications", str(apps), "--seed", str(seed)]
        + (["--reset"] if reset else []), env, input=b"y\n")
    run(flask + ["train-model"], env)  # the city's first model: signed off by the system, every firm scored
    run([sys.executable, "-c", "from marketplace import create_app; from seed.accounts import ensure_demo_accounts\n"
         "with create_app().app_context(): ensure_demo_accounts()"], env)
    print(f"city built in {time.perf_counter() - started:.0f} s ({firms:,} firms, {apps:,} applications)", flush=True)


OPEN_NEEDS_SHARE = 0.03  # a city's firms with a financing need published and not yet applied for


def open_needs(env, scale: float, seed: int) -> None:
    """The seeded history closes every need it applies for; a living city also has needs waiting (需求撮合 ranks
    them for the banks). Publishes needs, through the needs service, for OPEN_NEEDS_SHARE of the verified
    platform firms until that many are open (idempotent: a reused city keeps its own)."""
    want = int(sizes(scale)[0] * OPEN_NEEDS_SHARE)
    script = f"""
import random
from sqlalchemy import func, select
from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import Enterprise, FinancingNeed
from marketplace.services import needs
from seed.history import PURPOSES
with create_app().app_context():
    have = db.session.scalar(select(func.count(FinancingNeed.id)).where(FinancingNeed.status == "open"))
    firms = [f.id for f in db.session.scalars(select(Enterprise).order_by(Enterprise.id)) if f.is_verified]
    rng = random.Random({seed})
    for firm_id in rng.sample(firms, min(max({want} - have, 0), len(firms))):
        needs.publish_need(firm_id, amount=rng.randrange(10, 501) * 10_000, term_months=rng.choice([6, 12, 24, 36]),
                           purpose=rng.choice(PURPOSES))
    print(db.session.scalar(select(func.count(FinancingNeed.id)).where(FinancingNeed.status == "open")), "open needs")
"""
    print(f"$ open needs: up to {want:,} (needs.publish_need)", flush=True)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)


def wait_for(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not listen on {port}")


def warm_up(port: int, timeout: float = 300) -> None:
    """Until a page answers: gunicorn listens before its workers have imported pandas and LightGBM."""
    from urllib.request import urlopen

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if urlopen(f"http://127.0.0.1:{port}/products", timeout=60).status == 200:
                return
        except OSError:
            time.sleep(1)
    raise SystemExit("the site did not answer")


def drive(users: int, duration: int, port: int, out: Path) -> list[dict]:
    prefix = out / f"u{users}"
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
           "-r", str(max(users // 5, 1)), "-t", f"{duration}s", "--host", f"http://127.0.0.1:{port}",
           "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def report(users: int, rows: list[dict], load_before, load_after) -> None:
    print(f"\n== {users} users  (load average 1/5/15 min before {load_before[0]:.2f}/{load_before[1]:.2f}/"
          f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; 2 cores, "
          f"shared: figures are contended)")
    print(f"{'':<5}{'page':<30}{'requests':>9}{'fails':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for r in rows:
        print(f"{r['Type'][:4]:<5}{r['Name'][:29]:<30}{int(r['Request Count']):>9}{int(r['Failure Count']):>7}"
              f"{float(r['Requests/s']):>8.1f}{r['50%']:>8}{r['95%']:>8}{r['99%']:>8}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of Jinan's firms and applications")
    ap.add_argument("--users", default="10,50")
    ap.add_argument("--duration", type=int, default=60, help="seconds per user level")
    ap.add_argument("--port", type=int, default=8180)
    ap.add_argument("--build-only", action="store_true", help="build (or check) the city, then stop")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers (the README's recommendation)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not 0 < args.scale <= 1:
        raise SystemExit("--scale must be in (0, 1]")
    out = ROOT / "instance" / "bench-load"
    out.mkdir(parents=True, exist_ok=True)
    # gunicorn's entry point refuses a short or well-known SECRET_KEY: a random one for this run
    env = dict(os.environ, DATABASE_URL=args.database_url, INSTANCE_PATH=str(out), SECRET_KEY=secrets.token_urlsafe(48),
               JOBS_SQLITE=str(out / "jobs.sqlite3"), MODEL_DIR=str(out / "models"))
    have, want = city_in(env), sizes(args.scale)
    if have == want:
        print(f"reusing the city already in the database ({have[0]:,} firms, {have[1]:,} applications)")
    else:  # anything else in it (an empty or a different city) is replaced
        build_city(env, args.scale, args.seed, reset=have != (0, 0))
    open_needs(env, args.scale, args.seed)
    if args.build_only:
        return
    worker = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "marketplace.worker.huey"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    web = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(args.workers), "--timeout", "120",
                            "--bind", f"127.0.0.1:{args.port}", "--no-control-socket", "marketplace.wsgi:app"],
                           env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(out / "gunicorn.log", "w"))
    try:
        wait_for(args.port)
        warm_up(args.port)
        for users in (int(u) for u in args.users.split(",")):
            before = os.getloadavg()
            rows = drive(users, args.duration, args.port, out)
            report(users, rows, before, os.getloadavg())
    finally:
        for p in (web, worker):
            p.terminate()
        for p in (web, worker):
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
