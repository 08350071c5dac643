"""`python -m risk` on any tabular file: train → evaluate → score, and clear errors on bad input."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from risk.__main__ import main


def loan_file(n=1500, seed=1) -> pd.DataFrame:
    """A generic loan book: Chinese headers, text columns, gaps, a text target."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "客户编号": [f"C{i:05d}" for i in range(n)],
        "income": rng.lognormal(10, 1, n),
        "debt": rng.gamma(2, 1, n),
        "城市": rng.choice(["北京", "上海", "济南", None], n),
        "名称": [f"公司{i}" for i in range(n)],
    })
    df.loc[rng.random(n) < 0.1, "income"] = np.nan
    logit = -3.0 + 0.9 * df["debt"] - 0.5 * np.log(df["income"].fillna(20_000) / 20_000) + 0.6 * (df["城市"] == "济南")
    df["状态"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "违约", "正常")
    return df


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def gbk_csv(tmp_path):
    path = tmp_path / "loans.csv"
    loan_file().to_csv(path, index=False, encoding="gbk")
    return path


def test_round_trip_train_evaluate_score(tmp_path, gbk_csv, capsys):
    models, scores = tmp_path / "models", tmp_path / "scores.csv"
    rc, out, _ = run(capsys, "train", "--data", gbk_csv, "--target", "状态", "--out", models, "--id", "客户编号",
                     "--monotone", "debt=1,income=-1", "--trees", 200)
    assert rc == 0
    trained = json.loads(out)
    assert {"auc", "ks", "gini", "brier", "n"} <= set(trained)
    # 1,500 rows: metrics by 5-fold cross-validation over every row, the final model trained on all of them
    assert trained["bad"] == "违约" and trained["n"] == 1500 and trained["split"] == "cv" and trained["auc"] > 0.7
    assert trained["dropped_columns"] == ["名称"]  # a free-text name is not a category

    rc, out, _ = run(capsys, "evaluate", "--model", models, "--data", gbk_csv, "--target", "状态")
    assert rc == 0
    evaluated = json.loads(out)
    assert evaluated["n"] == 1500 and evaluated["auc"] > 0.7 and evaluated["bad"] == "违约"

    rc, _, _ = run(capsys, "score", "--model", models, "--data", gbk_csv, "--out", scores, "--id", "客户编号")
    assert rc == 0
    s = pd.read_csv(scores)
    assert list(s.columns) == ["id", "pd", "score", "grade", "reason_1", "reason_2", "reason_3", "reason_4"]
    assert s["id"].iloc[0] == "C00000" and len(s) == 1500
    reasons = set(s[["reason_1", "reason_2", "reason_3", "reason_4"]].stack().dropna())
    assert "debt 偏高" in reasons and reasons <= {"debt 偏高", "income 偏低", "income 缺失", "城市 缺失"} | {
        f"城市 为 {c}" for c in ("北京", "上海", "济南")}


def test_parquet_01_target_and_no_reasons(tmp_path, capsys):
    df = loan_file(seed=2)
    df["bad"] = (df.pop("状态") == "违约").astype(int)
    path = tmp_path / "loans.parquet"
    df.to_parquet(path)
    rc, out, _ = run(capsys, "train", "--data", path, "--target", "bad", "--out", tmp_path / "m",
                     "--categorical", "城市", "--trees", 100)
    assert rc == 0 and json.loads(out)["bad"] == 1
    rc, _, _ = run(capsys, "score", "--model", tmp_path / "m", "--data", path, "--out", tmp_path / "s.parquet",
                   "--no-reasons")
    s = pd.read_parquet(tmp_path / "s.parquet")
    assert rc == 0 and s["id"].tolist()[:3] == [0, 1, 2] and s["reason_1"].isna().all()


def test_utf8_file_with_a_two_value_target_names_the_rarer_as_bad(tmp_path, capsys):
    df = loan_file(seed=3)
    df["结果"] = np.where(df.pop("状态") == "违约", "Y", "N")
    path = tmp_path / "loans.csv"
    df.to_csv(path, index=False)
    rare = df["结果"].value_counts().idxmin()
    rc, out, _ = run(capsys, "train", "--data", path, "--target", "结果", "--out", tmp_path / "m", "--trees", 50)
    assert rc == 0 and json.loads(out)["bad"] == rare


@pytest.mark.parametrize("content, target, message", [
    ("", "y", "empty file"),
    ("a,b,y\n", "y", "no data rows"),
    ("a,b,y\n1,2,0\n3,4,0\n5,6,0\n", "y", "only one value"),
    ("a,b,y\n1,2,0\n3,4,1\n", "target", "not in the file"),
    ("a,b,y\n1,2,0\n3,4,1\n5,6,2\n", "y", "exactly two"),
    ("a,信访次数,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(60)), "y", "not lawful credit data"),
])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, content, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    rc, out, err = run(capsys, "train", "--data", path, "--target", target, "--out", tmp_path / "m")
    assert rc == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_model_is_a_clear_error(tmp_path, gbk_csv, capsys):
    rc, _, err = run(capsys, "evaluate", "--model", tmp_path / "nothing", "--data", gbk_csv, "--target", "状态")
    assert rc == 2 and "no model" in err


def test_module_entry_point_exits_non_zero_without_traceback(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    proc = subprocess.run([sys.executable, "-m", "risk", "train", "--data", str(path), "--target", "y",
                           "--out", str(tmp_path / "m")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: empty file: {path}"
