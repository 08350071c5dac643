"""The ONE bulk writer: DataFrames into tables, COPY on PostgreSQL (psycopg 3), Core executemany elsewhere.

Used by the seed (seed/load.py), the department imports (ingest) and scoring; nothing else writes rows in bulk.
"""
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Integer, Table, insert

CHUNK = 50_000


def write_frame(conn: Connection, table: Table, df: pd.DataFrame,
                progress: Callable[[int], None] | None = None) -> int:
    """Append the rows of `df` (columns named as the table's) to `table` inside the caller's transaction.

    Date columns may be datetime64 or date objects; JSON columns hold Python lists / dicts; missing values
    become NULL. Returns the row count.
    """
    if df.empty:
        return 0
    if conn.dialect.name == "postgresql":
        _copy(conn, table, df, progress)
    else:
        for start in range(0, len(df), CHUNK):
            part = df.iloc[start:start + CHUNK]
            conn.execute(insert(table), _records(part, table))
            if progress:
                progress(len(part))
    return len(df)


def _is_date_column(table: Table, name: str) -> bool:
    return table.c[name].type.python_type.__name__ == "date"


def _is_json_column(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


def _records(df: pd.DataFrame, table: Table) -> list[dict]:
    out = {}
    for name in df.columns:
        col = df[name]
        if _is_date_column(table, name) and col.dtype.kind == "M":
            values = np.array(col.dt.date, dtype=object)
            values[col.isna().to_numpy()] = None
        else:
            values = col.astype(object).where(col.notna(), None).to_numpy()
        out[name] = values
    names = list(out)
    return [dict(zip(names, row, strict=True)) for row in zip(*out.values(), strict=True)]


def _copy(conn: Connection, table: Table, df: pd.DataFrame, progress) -> None:
    # CSV format: pandas' C writer does the quoting; an unquoted empty field is NULL (validation has made
    # sure that required text is never empty).
    # NULL is written as \N so that an empty string stays an empty string, as on the executemany path.
    json_columns = [c for c in df.columns if _is_json_column(table, c)]
    if json_columns:  # COPY takes JSON as text; the executemany path lets the column type serialise it
        df = df.assign(**{c: df[c].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
                          for c in json_columns})
    # COPY applies no Python-side defaults (created_at = the clock): fill the columns the frame leaves out.
    defaults = {c.name: c.default for c in table.columns
                if c.name not in df.columns and c.default is not None and (c.default.is_scalar or c.default.is_callable)}
    if defaults:
        df = df.assign(**{n: (d.arg(None) if d.is_callable else d.arg) for n, d in defaults.items()})
    # An integer column with NULLs arrives as float64 (560000.0), which PostgreSQL refuses for bigint.
    floats = [c for c in df.columns if df[c].dtype.kind == "f" and isinstance(table.c[c].type, Integer)]
    if floats:
        df = df.assign(**{c: df[c].astype("Int64") for c in floats})
    moments = [c for c in df.columns if df[c].dtype.kind == "M"]
    if moments:  # dates as days, timestamps with their time and zone (one date_format would cut the time)
        df = df.assign(**{c: df[c].dt.strftime("%Y-%m-%d" if _is_date_column(table, c) else "%Y-%m-%d %H:%M:%S.%f%z")
                          for c in moments})
    columns = ", ".join(f'"{c}"' for c in df.columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT csv, NULL \'\\N\')') as copy:
        for start in range(0, len(df), CHUNK):
            part = df.iloc[start:start + CHUNK]
            copy.write(part.to_csv(header=False, index=False, na_rep="\\N").encode("utf-8"))
            if progress:
                progress(len(part))
