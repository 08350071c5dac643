"""Write the synthetic city as the files departments deliver: Chinese headers, one file per source,
several encodings and period spellings (so the import path is exercised), plus truth and outcomes apart."""
import hashlib
from datetime import date
from pathlib import Path

import pandas as pd

from marketplace import codes
from marketplace.services.ingest import LIST_LABELS, SEVERITY_LABELS, SOURCES, UTILITY_LABELS

from . import city, departments

# source: (encoding, period spelling) — as real departments send them.
FORMATS = {
    "registry": ("utf-8-sig", None),
    "tax_records": ("gbk", "%Y-%m"),
    "tax_grades": ("gbk", None),
    "social_insurance_records": ("utf-8", "%Y%m"),
    "provident_fund_records": ("utf-8-sig", "%Y/%m"),
    "utility_records": ("utf-8", "%Y-%m-%d"),
    "penalties": ("gbk", None),
    "list_entries": ("utf-8-sig", None),
    "customs_certifications": ("utf-8-sig", None),
}
XLSX_SAMPLE_ROWS = 300


def department_format(source: str, df: pd.DataFrame) -> pd.DataFrame:
    """A generated table as the department writes it: Chinese headers and labels, its own date spellings."""
    out = df.copy()
    period_format = FORMATS[source][1]
    for col in out.columns:
        if out[col].dtype.kind == "M":
            fmt = period_format if col == "period" else "%Y-%m-%d"
            out[col] = out[col].dt.strftime(fmt).fillna("")
    labels = {"size": codes.SIZES, "operating_status": codes.OPERATING_STATUSES, "kind": UTILITY_LABELS,
              "severity": SEVERITY_LABELS, "list_type": LIST_LABELS}
    for col, mapping in labels.items():
        if col in out:
            out[col] = out[col].map(mapping)
    if "usage" in out:
        out["usage"] = out["usage"].map("{:.2f}".format)
    headers = {f.name: f.label for f in SOURCES[source].fields}
    return out.rename(columns=headers)


def export(out: Path, *, enterprises: int, months: int = 24, seed: int = 2026, as_of: date = city.AS_OF,
           default_rate: float = 0.05) -> dict[str, Path]:
    """Write out/departments/<source>.csv (+ a small XLSX sample), out/truth.csv and out/outcomes.csv."""
    dept = out / "departments"
    dept.mkdir(parents=True, exist_ok=True)
    paths = {s: dept / f"{s}.csv" for s in SOURCES} | {"truth": out / "truth.csv", "outcomes": out / "outcomes.csv"}
    handles = {name: open(path, "w", encoding=FORMATS.get(name, ("utf-8", None))[0], newline="")  # noqa: SIM115
               for name, path in paths.items()}
    samples: dict[str, list] = {}
    try:
        first = True
        for chunk in departments.generate_chunks(enterprises, months, seed, as_of, default_rate):
            for name, handle in handles.items():
                frame = department_format(name, chunk[name]) if name in SOURCES else chunk[name]
                frame.to_csv(handle, index=False, header=first)
                if name in ("registry", "tax_records") and sum(map(len, samples.get(name, []))) < XLSX_SAMPLE_ROWS:
                    samples.setdefault(name, []).append(frame.head(XLSX_SAMPLE_ROWS))
            first = False
    finally:
        for handle in handles.values():
            handle.close()
    for name, parts in samples.items():
        path = dept / f"sample_{name}.xlsx"
        pd.concat(parts).head(XLSX_SAMPLE_ROWS).to_excel(path, index=False, sheet_name=SOURCES[name].label[:31])
        paths[f"sample_{name}"] = path
    manifest = ["file,sha256,bytes"] + [f"{p.relative_to(out)},{hashlib.sha256(p.read_bytes()).hexdigest()},"
                                         f"{p.stat().st_size}" for p in paths.values()]
    (out / "MANIFEST.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return paths
