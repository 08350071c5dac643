"""Command line for any tabular file: python -m risk train | evaluate | score (see --help).

    python -m risk train    --data FILE --target COL --out DIR [--id COL] [--categorical a,b] [--monotone a=1,b=-1]
    python -m risk evaluate --model DIR --data FILE --target COL
    python -m risk score    --model DIR --data FILE --out FILE [--id COL] [--no-reasons] [--plain]

FILE: CSV (UTF-8 or GBK) or Parquet. Text columns become categoricals; the target is 0/1 or any two
values (the rarer is the bad outcome; the output says which). `train` saves a new version under DIR
(a model registry: DIR/<version>/, DIR/ACTIVE) and prints its metrics as one JSON object, the same object
`evaluate` prints: by 5-fold cross-validation on a file of up to 5,000 rows ("split": "cv", the final
model then trained on every row), else on a held-out 20 % test split ("split": "holdout"); the logistic
baseline's AUC beside it comes from the same folds. Bad input ends with a one-line message and exit code 2.
"""
import argparse
import json
import math
import sys
import warnings

import pandas as pd

from . import catalogue, metrics, model, registry, tabular

EXIT_BAD_INPUT = 2


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (tabular.DataError, model.TrainingDataError, catalogue.ForbiddenDataError, registry.ModelNotFound,
            ValueError, OSError) as e:
        print(f"error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _parser():
    ap = argparse.ArgumentParser(prog="python -m risk", description="Train, evaluate and score a credit-risk model "
                                 "on any CSV / Parquet file.")
    sub = ap.add_subparsers(required=True, metavar="{train,evaluate,score}")
    t = sub.add_parser("train", help="train a model and save it as a new active version under --out")
    t.add_argument("--data", required=True)
    t.add_argument("--target", required=True)
    t.add_argument("--out", required=True, help="model registry directory")
    t.add_argument("--id", help="identifier column (kept out of the features)")
    t.add_argument("--categorical", default="", help="columns to treat as categories, comma-separated")
    t.add_argument("--monotone", default="", help="constraints, e.g. debt=1,income=-1 (+1: more is riskier)")
    t.add_argument("--trees", type=int, default=2000, help="most boosting rounds (early stopping picks fewer)")
    t.set_defaults(run=_train)
    e = sub.add_parser("evaluate", help="print auc, ks, gini, brier, n of a model on a labelled file")
    e.add_argument("--model", required=True, help="a registry directory (its active version) or a version directory")
    e.add_argument("--data", required=True)
    e.add_argument("--target", required=True)
    e.set_defaults(run=_evaluate)
    s = sub.add_parser("score", help="write id, pd, score, grade, reason_1..reason_4 for every row")
    s.add_argument("--model", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True, help="output file (.csv or .parquet)")
    s.add_argument("--id", help="identifier column copied to the output's id column (default: row number)")
    s.add_argument("--no-reasons", dest="reasons", action="store_false", help="skip reason codes (faster)")
    s.add_argument("--plain", action="store_true", help="plain-words reasons for the firm itself")
    s.set_defaults(run=_score)
    return ap


def _split_list(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _parse_monotone(text: str) -> dict[str, int]:
    out = {}
    for part in _split_list(text):
        name, sep, val = part.rpartition("=")
        if not sep or val.strip() not in ("1", "+1", "-1", "0"):
            raise tabular.DataError(f"bad --monotone item {part!r}: use column=1, column=-1 or column=0")
        out[name.strip()] = int(val)
    return out


def _check_columns(df, cols, what):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise tabular.DataError(f"{what} column(s) not in the file: {', '.join(missing)}")


def prepare(df: pd.DataFrame, target: str, id_column: str | None = None, categorical=(), monotone=None):
    """The training rows of a file as `train` reads them: (X, y, bad value, categorical columns, dropped
    columns). Rows without a target are left out; free-text identifiers (more distinct values than half
    the rows) are dropped."""
    y, bad, has = tabular.target(df, target)
    df = df.loc[has]
    drop = [target]
    if id_column:
        _check_columns(df, [id_column], "--id")
        df = df.set_index(id_column, drop=False)
        drop.append(id_column)
    categorical = list(categorical)
    _check_columns(df, categorical, "--categorical")
    _check_columns(df, list(monotone or {}), "--monotone")
    X = df.drop(columns=drop)
    catalogue.refuse_forbidden(list(X.columns))
    dropped = [c for c in X.columns if c not in categorical and model.is_categorical(X[c])
               and X[c].nunique() > max(50, 0.5 * len(X))]
    X = X.drop(columns=dropped)
    if X.shape[1] == 0:
        raise tabular.DataError("no feature columns left besides the target and id")
    categorical = sorted(set(categorical) | {c for c in X.columns if model.is_categorical(X[c])}, key=list(X).index)
    return X, y, bad, categorical, dropped


def _train(args) -> int:
    df = tabular.read(args.data)
    monotone = _parse_monotone(args.monotone)
    X, y, bad, categorical, dropped = prepare(df, args.target, args.id, _split_list(args.categorical), monotone)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = model.train(X, y, categorical=categorical, monotone=monotone, num_boost_round=args.trees)
    m.card["target"] = {"column": args.target, "bad": bad}
    m.card["id_column"] = args.id
    m.card["dropped_columns"] = dropped
    path = registry.save(m, args.out)
    _print({**m.card["metrics"], "bad": bad, "target": args.target, "split": m.card["evaluation"]["method"],
            "baseline_auc": m.card.get("baseline_auc"), "dropped_columns": dropped,
            "version": path.name, "model_dir": str(path)})
    return 0


def _evaluate(args) -> int:
    m = registry.load(args.model)
    df = tabular.read(args.data)
    stored = (m.card.get("target") or {}).get("bad")
    y, bad, has = tabular.target(df, args.target, bad=stored)
    if y.min() == y.max():
        raise tabular.DataError(f"target column {args.target!r} has only one class here: AUC and KS need both")
    p = m.predict_pd(df.loc[has])
    _print({**metrics.summary(y, p), "bad": bad, "target": args.target, "version": m.card.get("version")})
    return 0


def _score(args) -> int:
    m = registry.load(args.model)
    df = tabular.read(args.data)
    if args.id:
        _check_columns(df, [args.id], "--id")
        ids = df[args.id].to_numpy()
    else:
        ids = range(len(df))
    df.index = pd.Index(ids, name="id")
    out = m.score(df, reasons=args.reasons, plain=args.plain)
    tabular.write(out, args.out)
    print(f"scored {len(out)} rows with model {m.card.get('version')} -> {args.out}", file=sys.stderr)
    return 0


def _print(obj: dict) -> None:
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in obj.items()}
    print(json.dumps(clean, ensure_ascii=False, default=str))


if __name__ == "__main__":
    sys.exit(main())
