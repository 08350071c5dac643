"""Write the generated city into the database with bulk inserts (SQLAlchemy Core), never row by row."""
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, func, insert, select, text

from marketplace.models import Enterprise, Institution, Product

from . import city

INSERT_BATCH = 10_000


def _records(df: pd.DataFrame) -> list[dict]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def bulk_insert(conn, table, df: pd.DataFrame) -> int:
    records = _records(df)
    for start in range(0, len(records), INSERT_BATCH):
        conn.execute(insert(table), records[start:start + INSERT_BATCH])
    return len(records)


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
        counts = {"institutions": bulk_insert(conn, Institution.__table__,
                                              city.institutions(institutions, seed).drop(columns="short_name"))}
        counts["products"] = bulk_insert(conn, Product.__table__, city.products(products, institutions, seed))
        counts["enterprises"] = 0
        for chunk in city.enterprise_chunks(enterprises, seed):
            counts["enterprises"] += bulk_insert(conn, Enterprise.__table__, chunk)
            if progress:
                progress(len(chunk))
        for table in (Institution.__table__, Product.__table__, Enterprise.__table__):
            _reset_sequence(conn, table)
    return counts
