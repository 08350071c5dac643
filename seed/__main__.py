"""python -m seed export --out DIR: the synthetic city as department files (truth and outcomes apart)."""
import argparse
import sys
from datetime import date
from pathlib import Path

from . import city, export


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seed")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write department CSV/XLSX files, truth.csv and outcomes.csv")
    ex.add_argument("--out", required=True, type=Path)
    ex.add_argument("--enterprises", type=int, default=2000)
    ex.add_argument("--months", type=int, default=24)
    ex.add_argument("--seed", type=int, default=2026)
    ex.add_argument("--as-of", type=date.fromisoformat, default=city.AS_OF)
    ex.add_argument("--default-rate", type=float, default=0.05)
    args = parser.parse_args(argv)
    paths = export.export(args.out, enterprises=args.enterprises, months=args.months, seed=args.seed,
                          as_of=args.as_of, default_rate=args.default_rate)
    for name, path in paths.items():
        print(f"{name:<28} {path}")
    print("department files: departments/ (import with `flask import-data SOURCE FILE`, registry first);"
          " truth.csv holds the generator's true PD — never give it to a model.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
