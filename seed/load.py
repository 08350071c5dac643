"""Write the generated city into the database with bulk inserts (Core executemany, COPY on PostgreSQL)."""
import hashlib
import re
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, func, insert, select, text, update

from marketplace.clock import months_back, now
from marketplace.models import Enterprise, ImportBatch, Institution, Product, RegistryEnterprise
from marketplace.services import bulk
from marketplace.services.ingest import SOURCES

from . import city, departments

# The generator parameters, written on every import batch of a seeded city: they are what lets
# `flask train-model` regenerate the city's outcomes (never stored in the database) later.
SPEC = "合成城市 seed={seed} 企业={enterprises} 月数={months} 截至={as_of:%Y-%m-%d}"
_SPEC_RE = re.compile(r"合成城市 seed=(\d+) 企业=(\d+) 月数=(\d+) 截至=(\d{4}-\d{2}-\d{2})")


def _reset_sequence(conn, table) -> None:
    # Explicit ids were inserted; PostgreSQL's serial must move past them.
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


def is_seeded(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(Enterprise.__table__)))


def load_city(engine: Engine, *, enterprises: int, institutions: int, products: int, seed: int,
              progress: Callable[[int], None] | None = None) -> dict:
    """Insert a fresh demo city into an empty database, in one transaction; returns the counts."""
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Enterprise.__table__)):
            raise RuntimeError("数据库中已有企业数据：请使用空数据库，或先加 --reset 清空。")
        counts = {"institutions": bulk.write_frame(conn, Institution.__table__,
                                              city.institutions(institutions, seed).drop(columns="short_name"))}
        counts["products"] = bulk.write_frame(conn, Product.__table__, city.products(products, institutions, seed))
        counts["enterprises"] = 0
        for chunk in city.enterprise_chunks(enterprises, seed):
            counts["enterprises"] += bulk.write_frame(conn, Enterprise.__table__, chunk)
            if progress:
                progress(len(chunk))
        for table in (Institution.__table__, Product.__table__, Enterprise.__table__):
            _reset_sequence(conn, table)
    return counts


REGISTRY_COLUMNS = ["uscc", "name", "region_code", "industry", "size", "established_on", "registered_capital",
                    "operating_status"]


def load_departments(engine: Engine, *, enterprises: int, months: int, seed: int, as_of: date = city.AS_OF,
                     progress: Callable[[int], None] | None = None, registry: int | None = None,
                     registry_progress: Callable[[int], None] | None = None) -> dict:
    """Insert the synthetic city's department data (registry and every source), chunk by chunk, in one
    transaction; one import batch per source records the generator parameters. Returns rows per table.

    `registry` (≥ enterprises) makes the 在营企业数据库 that many firms: the platform's firms are its first
    `enterprises`, the rest are the city's other registered firms (registry rows only) — so that, as in a
    real city (Jinan: about 28,000 platform firms among 580,000), the registry is much larger than the
    platform and the department data covers the platform's firms. `progress(n)` is told per chunk of
    platform firms, `registry_progress(n)` per chunk of the other registry firms (a second phase)."""
    spec = SPEC.format(seed=seed, enterprises=enterprises, months=months, as_of=as_of)
    counts = dict.fromkeys(SOURCES, 0)
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(RegistryEnterprise.__table__)):
            raise RuntimeError("在营企业数据库已有数据：请使用空数据库，或先加 --reset 清空。")
        batches = {}
        for code in SOURCES:
            batches[code] = conn.execute(insert(ImportBatch.__table__).values(
                source=code, file_name=spec, sha256=hashlib.sha256(spec.encode()).hexdigest(),
                rows_accepted=0, created_at=now())).inserted_primary_key[0]
        for chunk in departments.generate_chunks(enterprises, months=months, seed=seed, as_of=as_of):
            for code, source in SOURCES.items():
                df = chunk[code].assign(batch_id=batches[code])
                counts[code] += bulk.write_frame(conn, source.sql_table, df)
            if progress:
                progress(len(chunk["registry"]))
        if registry and registry > enterprises:
            for chunk in city.enterprise_chunks(registry, seed):
                rest = chunk[chunk["id"] > enterprises]
                if len(rest):
                    frame = rest[REGISTRY_COLUMNS].assign(batch_id=batches["registry"])
                    frame["established_on"] = pd.to_datetime(frame["established_on"]).astype("datetime64[ns]")
                    counts["registry"] += bulk.write_frame(conn, SOURCES["registry"].sql_table, frame)
                if registry_progress:
                    registry_progress(int(len(rest)))
        first = (pd.Timestamp(as_of).to_period("M") - (months - 1)).start_time.date()
        last = pd.Timestamp(as_of).to_period("M").start_time.date()
        for code, batch_id in batches.items():
            span = {"period_from": first, "period_to": last} if code != "registry" else \
                {"codes_total": counts[code], "codes_invalid": 0, "codes_duplicate": 0}
            conn.execute(update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == batch_id)
                         .values(rows_accepted=counts[code], **span))
    return counts


def synthetic_spec(engine: Engine) -> dict | None:
    """The parameters of the synthetic city loaded into this database (seed, enterprises, months, as_of), read
    from its first registry batch; None when the registry did not come from the generator."""
    b = ImportBatch.__table__
    with engine.connect() as conn:
        name = conn.scalar(select(b.c.file_name).where(b.c.source == "registry").order_by(b.c.id).limit(1))
    match = _SPEC_RE.fullmatch(name or "")
    if not match:
        return None
    seed, enterprises, months, as_of = match.groups()
    return {"seed": int(seed), "enterprises": int(enterprises), "months": int(months),
            "as_of": date.fromisoformat(as_of)}


# The demo city's statistics-bureau figures (illustrative, not official): annual GDP in yuan.
DEMO_GDP = {2024: 1_352_760_000_000, 2025: 1_410_000_000_000}


def load_denominators(registered_enterprises: int, months: int = 24, last_month=city.AS_OF) -> None:
    """Enter the demo denominators the way staff would (audited): GDP per year and the number of locally
    registered enterprises per month, so the indicator pages of the demo show ratios, not 不可用."""
    from marketplace.services import denominators

    for year, value in DEMO_GDP.items():
        denominators.set_figure(kind="gdp", period_kind="year", start=denominators.period_start("year", year),
                                value=value, source="演示数据（非官方统计）", actor_id=None)
    for month in months_back(last_month, months)[::-1]:
        denominators.set_figure(kind="registered_enterprises", period_kind="month", start=month,
                                value=registered_enterprises, source="演示数据：合成城市在营企业数", actor_id=None)


def load_history(engine: Engine, *, applications: int, seed: int, paid_through: date | None = None,
                 phase=None) -> dict:
    """Two years of demo lending (seed/history.py) over the seeded firms and products, in one transaction.
    Performing loans have paid what fell due up to `paid_through` (default: the platform's today), so the
    demo does not open with every loan overdue for the weeks since the city's data date.
    `phase(text)` is told each step (generation, then each table written) as it starts."""
    phase = phase or (lambda text: None)
    from marketplace.models import (
        Application,
        ApplicationEvent,
        CreditCommitment,
        DataAuthorization,
        FinancingNeed,
        LoanInstalment,
        LoanRepayment,
        OffPlatformLoan,
    )
    from marketplace.services.workdays import today

    from . import history

    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Application.__table__)):
            raise RuntimeError("数据库中已有融资申请：演示历史只能写入一次。")
        firms = pd.DataFrame(conn.execute(select(Enterprise.id, Enterprise.uscc, Enterprise.name)).all(),
                             columns=["id", "uscc", "name"])
        products = pd.DataFrame(conn.execute(select(
            Product.id, Product.institution_id, Product.amount_min, Product.amount_max, Product.term_min,
            Product.term_max, Product.rate_min, Product.rate_max, Product.repayment_method)).all(),
            columns=["id", "institution_id", "amount_min", "amount_max", "term_min", "term_max", "rate_min",
                     "rate_max", "repayment_method"])
        phase(f"生成融资历史：{applications:,} 笔申请，{len(firms):,} 家企业 × {len(products):,} 个产品……")
        frames = history.generate(firms, products, applications=applications, seed=seed,
                                  paid_through=paid_through or today(),
                                  progress=lambda done: phase(f"已生成 {done:,} / {applications:,} 笔申请……"))
        frames["data_authorizations"] = _authorizations_of(frames["applications"])
        counts = {}
        for model in (FinancingNeed, CreditCommitment, Application, ApplicationEvent, LoanInstalment,
                      LoanRepayment, OffPlatformLoan, DataAuthorization):
            table = model.__table__
            phase(f"写入 {table.name}（{len(frames[table.name]):,} 行）……")
            counts[table.name] = bulk.write_frame(conn, table, frames[table.name])
            _reset_sequence(conn, table)
    return counts


def _authorizations_of(apps: pd.DataFrame) -> pd.DataFrame:
    """一键申请 authorizes each product's institution for a year (services/applications.submit): the
    history's firms did the same, one authorization per firm and institution, from its first application
    to a year after its last."""
    from marketplace import codes

    if apps.empty:
        return pd.DataFrame(columns=["enterprise_id", "institution_id", "scopes", "valid_until", "granted_at"])
    g = apps.groupby(["enterprise_id", "institution_id"])["submitted_at"].agg(["min", "max"]).reset_index()
    last = pd.to_datetime(g["max"], utc=True).dt.tz_convert("Asia/Shanghai").dt.date
    return pd.DataFrame({"id": range(1, len(g) + 1), "enterprise_id": g["enterprise_id"].astype(int),
                         "institution_id": g["institution_id"].astype(int),
                         "scopes": [list(codes.AUTHORIZATION_SCOPES)] * len(g),
                         "valid_until": [d + timedelta(days=365) for d in last], "granted_at": g["min"]})
