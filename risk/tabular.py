"""Reading any tabular file for the command line: CSV (UTF-8 or GBK) or Parquet, and 0/1 targets."""
from pathlib import Path

import numpy as np
import pandas as pd


class DataError(ValueError):
    """Bad input file or columns; the message is shown to the user as is."""


def read(path) -> pd.DataFrame:
    """A DataFrame from CSV (UTF-8, UTF-8 with BOM, or GBK / GB18030) or Parquet."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    if p.stat().st_size == 0:
        raise DataError(f"empty file: {p}")
    with p.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1" or p.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(p)
        except Exception as e:  # pyarrow's messages are long; one line is enough here
            raise DataError(f"cannot read Parquet file {p}: {str(e).splitlines()[0]}") from None
    else:
        df = None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                df = pd.read_csv(p, encoding=enc, low_memory=False)
                break
            except UnicodeDecodeError:
                continue
            except pd.errors.EmptyDataError:
                raise DataError(f"empty file: {p}") from None
            except pd.errors.ParserError as e:
                raise DataError(f"cannot parse CSV file {p}: {str(e).splitlines()[0]}") from None
        if df is None:
            raise DataError(f"cannot decode {p}: neither UTF-8 nor GBK")
    if len(df) == 0:
        raise DataError(f"no data rows in {p}")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def target(df: pd.DataFrame, col: str, bad=None) -> tuple[np.ndarray, object, pd.Series]:
    """(y as 0/1, the value read as bad, mask of rows with a target).

    0/1 targets: 1 is bad. Any other two values: the rarer one is bad (ties: the later in sort order).
    With `bad` given (from a saved model), that value is bad and every other value good.
    """
    if col not in df.columns:
        raise DataError(f"target column {col!r} not in the file (columns: {', '.join(map(str, df.columns[:20]))})")
    s = df[col]
    has = s.notna()
    vals = s[has]
    if len(vals) == 0:
        raise DataError(f"target column {col!r} is empty")
    if bad is not None:
        y = (_key(vals) == _key(pd.Series([bad]))[0]).astype(int).to_numpy()
        return y, bad, has
    distinct = pd.unique(_key(vals))
    if len(distinct) == 1:
        raise DataError(f"target column {col!r} has only one value ({vals.iloc[0]}): need two classes")
    if len(distinct) > 2:
        raise DataError(f"target column {col!r} has {len(distinct)} distinct values; need exactly two (e.g. 0/1)")
    if set(distinct) == {0.0, 1.0}:
        bad_key = 1.0
    else:
        counts = _key(vals).value_counts()
        rarest = counts[counts == counts.min()].index
        bad_key = sorted(rarest, key=str)[-1]
    keys = _key(vals)
    bad = vals[keys == bad_key].iloc[0]
    bad = bad.item() if hasattr(bad, "item") else bad
    return (keys == bad_key).astype(int).to_numpy(), bad, has


def _key(s: pd.Series) -> pd.Series:
    """Values compared as numbers when they all are numbers, else as trimmed text."""
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().all():
        return num.astype(float)
    return s.astype(str).str.strip()


def write(df: pd.DataFrame, path) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() in (".parquet", ".pq"):
        df.to_parquet(p, index=False)
    else:
        df.to_csv(p, index=False, encoding="utf-8")
