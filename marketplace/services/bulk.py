"""The ONE bulk writer: DataFrames into tables, COPY on PostgreSQL (psycopg 3), Core executemany elsewhere.

Used by the seed (seed/load.py), the department imports (ingest) and scoring; nothing else writes rows in bulk.
"""
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Table, insert

from . import figure_cache

CHUNK = 50_000


def write_frame(conn: Connection, table: Table, df: pd.DataFrame,
                progress: Callable[[int], None] | None = None) -> int:
    """Append the rows of `df` (columns named as the table's) to `table` inside the caller's transaction.

    Date columns may be datetime64 or date objects; JSON columns hold Python lists / dicts; missing values
    become NULL. Returns the row count.
    """
    if df.empty:
        return 0
    figure_cache.note_frame(conn, table.name, df)  # COPY passes no statement the cache's engine hook could see
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


def _is_int_column(table: Table, name: str) -> bool:
    try:
        return table.c[name].type.python_type is int
    except NotImplementedError:
        return False


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


def _with_defaults(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """COPY bypasses SQLAlchemy's Python-side defaults (created_at = now, …): fill the columns the frame lacks
    the way an INSERT through the table would."""
    missing = {}
    for col in table.columns:
        default = col.default
        if col.name in df.columns or col.primary_key or default is None:
            continue
        if default.is_scalar:
            missing[col.name] = default.arg
        elif default.is_callable:
            value = default.arg(None)
            missing[col.name] = [value] * len(df) if isinstance(value, list | dict) else value
    return df.assign(**missing) if missing else df


def _copy(conn: Connection, table: Table, df: pd.DataFrame, progress) -> None:
    # CSV format: pandas' C writer does the quoting; an unquoted empty field is NULL (validation has made
    # sure that required text is never empty).
    # NULL is written as \N so that an empty string stays an empty string, as on the executemany path.
    df = _with_defaults(df, table)
    json_columns = [c for c in df.columns if _is_json_column(table, c)]
    if json_columns:  # COPY takes JSON as text; the executemany path lets the column type serialise it
        df = df.assign(**{c: df[c].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
                          for c in json_columns})
    # An integer column with missing values arrives as float (NaN): written as 560000.0 COPY would refuse it.
    floats_of_ints = [c for c in df.columns if df[c].dtype.kind == "f" and _is_int_column(table, c)]
    if floats_of_ints:
        df = df.assign(**{c: df[c].astype("Int64") for c in floats_of_ints})
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
