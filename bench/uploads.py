"""Hostile and large department uploads through the web import path (ingest.check with the web row cap):
how long until the answer and the peak memory of the process, each case in a fresh process.

Run by hand:
    .venv/bin/python bench/uploads.py [--cases xlsx_bomb,xlsx_bomb_no_dimension,csv_60mb,csv_at_cap]

Cases: an XLSX of 250,000 rows that is ~175 KB compressed (with and without the sheet's <dimension>), a
60 MB tax CSV, and a CSV of exactly the web cap (IMPORT_MAX_ROWS rows, firms not in the registry, so every
row is an error and the capped report is written).
"""
import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = ("xlsx_bomb", "xlsx_bomb_no_dimension", "csv_60mb", "csv_at_cap")
USCC = "91370102MA3C4XKL85"
HEADER = ["统一社会信用代码", "所属期", "营业收入", "实缴增值税", "实缴所得税", "欠税金额"]


def _xlsx(rows: int, dimension: bool) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=not dimension)
    ws = wb.active if dimension else wb.create_sheet()
    ws.append(HEADER)
    for _ in range(rows):
        ws.append([USCC, "2026-10", 1, 0, 0, 0])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _csv(rows: int) -> bytes:
    line = f"{USCC},2026-10,123456,3000,1000,0\n"
    return (",".join(HEADER) + "\n" + line * rows).encode()


def _peak_mb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def make_file(name: str, folder: Path, cap: int) -> Path:
    data, file_name = {
        "xlsx_bomb": lambda: (_xlsx(250_000, True), "bomb.xlsx"),
        "xlsx_bomb_no_dimension": lambda: (_xlsx(250_000, False), "bomb-no-dimension.xlsx"),
        "csv_60mb": lambda: (_csv(60 * 1024 * 1024 // 40), "big.csv"),
        "csv_at_cap": lambda: (_csv(cap), "cap.csv"),
    }[name]()
    path = folder / file_name
    path.write_bytes(data)
    return path


def run_case(path: Path) -> dict:
    """In a fresh process: the file is made by the parent, so the peak is the check's alone."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.services import RuleViolation, ingest

    tmp = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench"})
    cap, data, file_name, name = app.config["IMPORT_MAX_ROWS"], path.read_bytes(), path.name, path.name
    with app.app_context():
        upgrade()
        before = _peak_mb()
        started = time.perf_counter()
        try:
            checked = ingest.check("tax_records", data, file_name, max_rows=cap)
            answer = f"checked: {len(checked.errors):,} problems"
            report = len(ingest.report_csv(checked.errors))
        except RuleViolation as e:
            answer, report = f"refused: {e.message[:40]}…", 0
        seconds = time.perf_counter() - started
    peak = _peak_mb()
    return {"case": name, "file_kb": round(len(data) / 1024), "seconds": round(seconds, 2),
            "peak_rss_mb": peak, "rss_before_mb": before,
            "report_kb": round(report / 1024), "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(Path(args.one)), ensure_ascii=False))
        return
    import os

    from marketplace.config import Config

    folder = Path(tempfile.mkdtemp())
    print(f"load average {os.getloadavg()[0]:.2f}")
    for name in args.cases.split(","):
        path = make_file(name, folder, Config.IMPORT_MAX_ROWS)
        out = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['case']:<24} {r['file_kb']:>8,} KB  {r['seconds']:>6.2f} s  peak RSS {r['peak_rss_mb']:>5,} MB "
              f"(before {r['rss_before_mb']:,} MB)  report {r['report_kb']:,} KB  {r['answer']}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
