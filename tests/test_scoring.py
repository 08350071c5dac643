"""Credit scoring in the marketplace: flask train-model / score-all on a small synthetic city, re-scoring when a
firm's data changes (import, upheld objection)."""
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import codes
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.models import (
    CreditCommitment,
    CurrentScore,
    Enterprise,
    EnterpriseScore,
    ImportBatch,
    RegistryEnterprise,
)
from marketplace.services import commitments, credit, ingest, objections, scoring
from seed import departments

FIRMS = 800
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def seed_city(runner, n=FIRMS):
    result = runner.invoke(args=["seed", "--enterprises", str(n), "--institutions", "3", "--products", "6"])
    assert result.exit_code == 0, result.output


def train_and_score(runner, *extra):
    """flask train-model on a city without a model: its first model is signed off and scores every firm."""
    result = runner.invoke(args=["train-model", *extra])
    assert result.exit_code == 0, result.output
    assert "AUC" in result.output and "oracle" in result.output and "（已启用）" in result.output
    # The re-score's silent feature phase is named before the bar, which opens only when scoring moves it.
    assert result.output.index("重新评分……") < result.output.index("企业评分")
    return result.output


def score_rows():
    return db.session.scalars(select(EnterpriseScore).order_by(EnterpriseScore.id)).all()


def test_train_model_and_score_all_give_every_platform_firm_a_grade_with_chinese_reasons(app, runner):
    seed_city(runner)
    output = train_and_score(runner, "--no-challenger")
    assert f"为 {FIRMS:,} 家平台企业重新评分" in output
    with app.app_context():
        model_dir = Path(app.config["MODEL_DIR"])
        version = (model_dir / "ACTIVE").read_text().strip()
        card = json.loads((model_dir / version / "card.json").read_text(encoding="utf-8"))
        assert 0.5 < card["oracle_auc"] <= 1 and card["training"]["seed"] == 2026
        assert card["training"]["as_of"] == "2026-10-31"
        rows = score_rows()
        firms = db.session.scalar(select(func.count()).select_from(Enterprise))
        assert len(rows) == firms == FIRMS
        assert {r.enterprise_id for r in rows} == set(db.session.scalars(select(Enterprise.id)))
        assert {r.grade for r in rows} <= set(codes.GRADES) and len({r.grade for r in rows}) >= 4
        assert all(r.model_version == version and str(r.as_of) == "2026-10-31" for r in rows)
        assert all(0 < float(r.pd) < 1 and 250 < r.score < 900 for r in rows)
        worst = max(rows, key=lambda r: r.pd)
        assert worst.grade in ("C", "CC", "CCC")
        officer, plain = credit.reason_texts(worst), credit.reason_texts(worst, plain=True)
        assert officer and all(CHINESE.search(t) for t in officer)
        assert all(t.startswith("贵企业") or t.startswith("平台暂未获得") for t in plain)
        assert officer != plain
        # what counts in the firm's favour is stored beside the reasons, with its direction
        best = min(rows, key=lambda r: r.pd)
        favourable = credit.favourable_factors(best)
        assert favourable and all(CHINESE.search(t) for t in favourable)
        assert not set(favourable) & set(credit.reason_texts(best, plain=True))
        assert {f["effect"] for f in credit.factors(best)} <= {"risk", "favourable"}
        # A better grade means a lower PD: grades are cut on PD.
        by_grade = {}
        for r in rows:
            by_grade.setdefault(r.grade, []).append(float(r.pd))
        ordered = [g for g in codes.GRADES if g in by_grade]
        assert all(max(by_grade[a]) <= min(by_grade[b]) for a, b in zip(ordered, ordered[1:], strict=False))
    # flask score-all re-scores everyone with the active model: one more row each, the newest current
    result = runner.invoke(args=["score-all"])
    assert result.exit_code == 0, result.output
    assert f"已评分 {FIRMS:,} 家企业" in result.output
    # The silent feature phase is named before the bar, which opens only when scoring moves it.
    assert result.output.index("读取部门数据、计算特征") < result.output.index("企业评分")
    with app.app_context():
        assert len(score_rows()) == 2 * FIRMS
        newest = {r.enterprise_id: r.id for r in score_rows()}  # ordered by id: the last row of each firm wins
        assert {e: s.id for e, s in credit.current_scores().items()} == newest


def test_import_rescores_only_the_firms_it_changed(app, runner):
    seed_city(runner)
    train_and_score(runner, "--no-challenger")
    with app.app_context():
        before = score_rows()
        best = min(before, key=lambda r: r.pd)
        uscc = db.session.get(Enterprise, best.enterprise_id).uscc
        reg = db.session.scalar(select(RegistryEnterprise).where(RegistryEnterprise.uscc == uscc))
        # The market regulator re-delivers this firm: founded four months ago, with tiny capital.
        csv = ("统一社会信用代码,企业名称,所属区县,行业门类,企业规模,成立日期,注册资本,经营状态\n"
               f"{uscc},{reg.name},{reg.region_code},{reg.industry},微型,2026-07-01,10000,存续\n")
        result = ingest.import_file("registry", csv.encode(), "名录更正.csv")
        assert result.ok and result.rescored == 1
        after = score_rows()
        assert len(after) == len(before) + 1
        new = after[-1]
        assert new.enterprise_id == best.enterprise_id
        assert credit.current_scores([best.enterprise_id])[best.enterprise_id].id == new.id
        assert float(new.pd) > float(best.pd)


def test_the_seasonal_table_is_saved_with_the_model_and_a_single_rescore_equals_score_all(app, runner, monkeypatch):
    seed_city(runner)
    train_and_score(runner, "--no-challenger")
    with app.app_context():
        m = scoring.active_model()
        reloaded = scoring.registry.load(Path(app.config["MODEL_DIR"]) / m.card["version"])
        assert reloaded.seasonal == m.seasonal and m.seasonal["firms"]["revenue"] > 100
        spring = m.seasonal["factors"]["revenue"]["*"]
        assert spring[1] < min(spring[2:11])  # February: the Spring Festival dip, learnt from the training firms
        gain = {r["name"]: r["gain_share"] for r in m.card["importance"]}
        assert gain["revenue_1m_vs_24m_sa"] > 0  # the adjusted features are used, so the table matters
        before = {r.enterprise_id: r for r in score_rows()}
        # Score-all in chunks of 97 firms and one firm alone: the same table, the same features, the same PD.
        monkeypatch.setattr(scoring, "FEATURE_CHUNK", 97)
        assert scoring.score_firms()["scored"] == FIRMS
        chunked = {r.enterprise_id: r for r in score_rows()[FIRMS:]}
        assert all(abs(float(chunked[i].pd) - float(before[i].pd)) < 1e-9 for i in before)
        firm = max(before.values(), key=lambda r: r.pd)
        uscc = db.session.get(Enterprise, firm.enterprise_id).uscc
        assert scoring.rescore([uscc]) == 1
        alone = score_rows()[-1]
        assert alone.enterprise_id == firm.enterprise_id and float(alone.pd) == float(firm.pd)
        assert alone.reasons == firm.reasons


def test_a_broken_commitment_counts_against_the_firm_and_rescores_it(app, runner):
    seed_city(runner)
    train_and_score(runner, "--no-challenger")
    with app.app_context():
        card = scoring.active_model().card
        gain = {r["name"]: r["gain_share"] for r in card["importance"]}
        assert gain["negative_records_36m"] > 0  # the aggregated count gets splits where each sparse flag may not
        before = score_rows()
        best = min(before, key=lambda r: r.pd)
        assert not any(f["feature"] == "negative_records_36m" for f in best.reasons)
        c = CreditCommitment(enterprise_id=best.enterprise_id, kind=next(iter(codes.COMMITMENT_TYPES)),
                             text="按期足额还款", purpose="融资申请")
        db.session.add(c)
        db.session.commit()
        commitments.record_broken(c, on=today(), evidence="逾期未按承诺补缴社保，见人社局函", actor_id=None)
        after = score_rows()
        assert len(after) == len(before) + 1 and after[-1].enterprise_id == best.enterprise_id
        assert float(after[-1].pd) > float(best.pd)


def test_import_without_an_active_model_scores_nobody(app, runner):
    seed_city(runner, 50)
    with app.app_context():
        uscc = db.session.scalar(select(Enterprise.uscc))
        csv = ("统一社会信用代码,企业名称,所属区县,行业门类,企业规模,成立日期,注册资本,经营状态\n"
               f"{uscc},某公司,370102,C,小型,2020-01-01,100000,存续\n")
        result = ingest.import_file("registry", csv.encode(), "名录.csv")
        assert result.ok and result.rescored == 0
        assert not score_rows()


def test_upheld_objection_rescores_the_firm(app, runner):
    seed_city(runner)
    train_and_score(runner, "--no-challenger")
    with app.app_context():
        firm_id, uscc = db.session.execute(select(Enterprise.id, Enterprise.uscc).order_by(Enterprise.id)).first()
        record_id = db.session.scalar(select(RegistryEnterprise.id).where(RegistryEnterprise.uscc == uscc))
        n = len(score_rows())
        o = objections.raise_objection(firm_id, record_source="registry_enterprises", record_id=record_id,
                                       kind=next(iter(codes.OBJECTION_KINDS)), description="数据有误", actor_id=None)
        objections.move(o, "verifying", actor_id=None)
        assert len(score_rows()) == n  # not decided yet: no re-score
        objections.move(o, "upheld", actor_id=None, resolution="经核实，数据已更正。", outcome="corrected",
                        new_values={"registered_capital": "12345678"})
        rows = score_rows()
        assert len(rows) == n + 1 and rows[-1].enterprise_id == firm_id


def test_train_model_from_outcome_files_and_from_a_synthetic_city(app, runner, tmp_path):
    seed_city(runner)
    with app.app_context():
        # Department data that did not come from the generator: the outcomes must be given.
        db.session.execute(update(ImportBatch).where(ImportBatch.source == "registry")
                           .values(file_name="在营企业.csv"))
        db.session.commit()
    result = runner.invoke(args=["train-model"])
    assert result.exit_code != 0 and "--outcomes" in result.output
    outcomes, truth = departments.outcomes(FIRMS, seed=2026)
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    result = runner.invoke(args=["train-model", "--outcomes", str(tmp_path / "outcomes.csv"),
                                 "--truth", str(tmp_path / "truth.csv"), "--as-of", "2026-10-31", "--no-challenger"])
    assert result.exit_code == 0, result.output
    assert "oracle）AUC 0." in result.output
    result = runner.invoke(args=["train-model", "--enterprises-from", "synthetic", "--enterprises", "900",
                                 "--seed", "11", "--no-activate", "--no-challenger"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        versions = scoring.registry.versions(app.config["MODEL_DIR"])
        assert len(versions) == 2 and versions[0]["active"] and not versions[1]["active"]


def test_train_model_on_a_synthetic_city_of_one_month_and_as_of_another_date(app, runner):
    seed_city(runner, 20)
    # One month of records: every year-on-year ratio is missing; the WOE challenger used to crash on it.
    result = runner.invoke(args=["train-model", "--enterprises-from", "synthetic", "--enterprises", "700",
                                 "--months", "1", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        card = scoring.registry.load_active(app.config["MODEL_DIR"]).card
    assert card["training"]["as_of"] == "2026-06-30" and card["challenger"]["auc"] > 0.5
    # The outcomes are those of the city generated as of that date (not of the seeded city's date).
    city = departments.generate(700, months=1, seed=2026, as_of=date(2026, 6, 30))
    founded = city["registry"].loc[city["registry"]["established_on"] < "2026-06-30", "uscc"]
    outcomes = city["outcomes"].set_index("uscc")["defaulted_12m"]
    assert card["sizes"]["bads"] == int(outcomes.loc[founded].sum())
    for bad in (["--enterprises", "0"], ["--months", "0"]):
        result = runner.invoke(args=["train-model", "--enterprises-from", "synthetic", *bad])
        assert result.exit_code == 2 and "正整数" in result.output and "Traceback" not in result.output


def test_score_all_without_a_model_says_what_to_do(app, runner):
    seed_city(runner, 20)
    result = runner.invoke(args=["score-all"])
    assert result.exit_code != 0 and "flask train-model" in result.output


def _staff_and_banker(app):
    from marketplace.models import Institution
    from marketplace.services import accounts
    from tests.conftest import PASSWORD

    with app.app_context():
        inst = db.session.scalar(select(Institution.id))
        accounts.create_user(username="staff", password=PASSWORD, role="commission")
        accounts.create_user(username="banker", password=PASSWORD, role="bank", institution_id=inst)


def test_model_card_for_commission_staff_and_activating_another_version(app, runner, client, auth):
    seed_city(runner)
    train_and_score(runner, "--no-challenger")
    result = runner.invoke(args=["train-model", "--enterprises-from", "synthetic", "--enterprises", "900",
                                 "--seed", "11", "--no-activate"])
    assert result.exit_code == 0, result.output
    _staff_and_banker(app)
    with app.app_context():
        first, second = [v["version"] for v in scoring.registry.versions(app.config["MODEL_DIR"])]
        card = scoring.model_card(second)["card"]

    auth.login("banker")
    assert client.get("/commission/models").status_code == 403
    assert client.get(f"/commission/models/{first}").status_code == 403
    auth.logout()

    auth.login("staff")
    response = client.get("/commission/models")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/commission/models/{first}")
    page = client.get(f"/commission/models/{second}").get_data(as_text=True)
    assert f"{card['metrics']['auc']:.3f}" in page and f"{card['baseline_auc']:.3f}" in page
    assert f"{card['oracle_auc']:.3f}" in page and "calibrationChart" in page and "chart.umd.min.js" in page
    assert 'id="psi-previous">—' not in page  # the second version has a previous one to compare with
    assert "签批启用" in page and "信用评分模型" in page
    # champion / challenger side by side, the shadow scoring of the platform's firms, the validation pack
    assert 'data-testid="side-by-side"' in page and 'data-testid="migration"' in page
    assert 'data-testid="backtest"' in page and 'data-testid="bands"' in page and "模型文档" in page
    with app.app_context():
        shadow = scoring.model_card(second)["shadow"]
    assert shadow["firms"] == FIRMS and sum(map(sum, shadow["migration"])) == FIRMS
    assert client.get("/commission/models/nope").status_code == 404
    # the challenger scorecard's points per attribute download as CSV
    csv = client.get(f"/commission/models/{second}/scorecard.csv")
    assert csv.status_code == 200 and "points" in csv.get_data(as_text=True).splitlines()[0]

    from marketplace.models import AuditLog, ModelActivation
    # activation is a sign-off: without a reason nothing changes
    response = client.submit(f"/commission/models/{second}/activate", {"reason": "同意"}, page=f"/commission/models/{second}")
    assert response.status_code == 422  # the card again: the reason typed kept, the message beside it
    html = response.get_data(as_text=True)
    assert ">同意</textarea>" in html and 'id="reason-error">启用模型须填写签批理由（至少4个字）。' in html
    with app.app_context():
        assert scoring.registry.active_version(app.config["MODEL_DIR"]) == first
        # on record: only the first model's sign-off by the system (signed, activated)
        assert db.session.scalars(select(ModelActivation.model_version)).all() == [first]
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action.like("model_activations.%"))) == 2
    from marketplace.models import Job

    with app.app_context():
        rows_before = db.session.scalar(select(func.count(EnterpriseScore.id)))
    # the re-score fails after its rows were written: the job fails, the previous model stays active with its
    # scores current, no score row is kept, and only the sign-off is on record (nothing half-switched)
    original = credit.refresh_current

    def broken(*a, **kw):
        raise RuntimeError("disk full")
    credit.refresh_current = broken
    try:
        response = client.submit(f"/commission/models/{second}/activate", {"reason": "影子评分通过，同意启用"},
                                 page=f"/commission/models/{second}")
    finally:
        credit.refresh_current = original
    assert response.status_code == 302 and "/commission/jobs/" in response.headers["Location"]
    with app.app_context():
        failed = db.session.scalar(select(Job).order_by(Job.id.desc()))
        assert failed.kind == "activate_model" and failed.state == "failed" and "回滚" in failed.error
        assert scoring.registry.active_version(app.config["MODEL_DIR"]) == first
        assert {s.model_version for s in credit.current_scores().values()} == {first}
        assert db.session.scalar(select(func.count(EnterpriseScore.id))) == rows_before
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "model_activations.activate")) == 1  # the first model's only
        # the sign-off stays on record, and the activation is failed (it no longer blocks the next one)
        failed_activation = db.session.scalar(select(ModelActivation).order_by(ModelActivation.id.desc()))
        assert (failed_activation.status, failed_activation.model_version) == ("failed", second)
        signed = db.session.scalar(select(AuditLog).where(AuditLog.action == "model_activations.sign")
                                   .order_by(AuditLog.id.desc()))
        assert signed.object_id == str(failed_activation.id) and signed.detail["reason"] == "影子评分通过，同意启用"
        assert signed.detail["model_version"] == second and signed.detail["to_status"] == "signed"
        assert db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "model_activations.fail")) \
            == {"from_status": "signed", "to_status": "failed", "model_version": second, "error": "RuntimeError"}
    response = client.submit(f"/commission/models/{second}/activate", {"reason": "影子评分与回测均通过，同意启用"},
                             page=f"/commission/models/{second}")
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已用模型 {second} 重新评分 {FIRMS:,} 家平台企业" in job_page and f"替换 {first}" in job_page
    with app.app_context():
        assert scoring.registry.active_version(app.config["MODEL_DIR"]) == second
        current = credit.current_scores()
        assert len(current) == FIRMS and {s.model_version for s in current.values()} == {second}
        done = db.session.scalar(select(ModelActivation).order_by(ModelActivation.id.desc()))
        assert (done.status, done.reason, done.previous_version) == ("activated", "影子评分与回测均通过，同意启用", first)
        assert done.finished_at is not None
        log = db.session.scalar(select(AuditLog).where(AuditLog.action == "model_activations.activate")
                                .order_by(AuditLog.id.desc()))
        assert log.object_id == str(done.id) and log.detail["previous"] == first
        assert log.detail["model_version"] == second and log.detail["scored"] == FIRMS
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "model_activations.sign")) == 3  # the first model's, the failed one, this one
    assert client.post(f"/commission/models/{first}/activate").status_code == 400  # no CSRF token


def test_model_card_without_a_model(app, client, auth, users):
    auth.login("staff")
    page = client.get("/commission/models").get_data(as_text=True)
    assert "flask train-model" in page


def test_one_model_activation_at_a_time(app, runner, client, auth, monkeypatch):
    """A second sign-off while one is re-scoring the city is refused in Chinese, at the page and in the service,
    and nothing of it is recorded; once the first has finished, the next one goes through."""
    from marketplace.models import AuditLog, Job, ModelActivation
    from marketplace.services import jobs

    seed_city(runner)
    train_and_score(runner, "--no-challenger")
    result = runner.invoke(args=["train-model", "--enterprises-from", "synthetic", "--enterprises", "900",
                                 "--seed", "11", "--no-activate", "--no-challenger"])
    assert result.exit_code == 0, result.output
    _staff_and_banker(app)
    with app.app_context():
        first, second = [v["version"] for v in scoring.registry.versions(app.config["MODEL_DIR"])]
    queued = []
    monkeypatch.setattr("marketplace.worker.run_job", queued.append)  # the worker has not picked it up yet
    auth.login("staff")
    response = client.submit(f"/commission/models/{second}/activate", {"reason": "影子评分通过，同意启用"},
                             page=f"/commission/models/{second}")
    assert response.status_code == 302 and len(queued) == 1
    again = client.submit(f"/commission/models/{second}/activate", {"reason": "再次签批同一版本"},
                          page=f"/commission/models/{second}")
    assert again.status_code == 422
    shown = client.get(f"/commission/models/{second}").get_data(as_text=True)
    assert f"模型 {second} 已于" in shown and "正在重新评分全部平台企业" in shown
    assert f"另一项模型启用（模型 {second}）正在重新评分，请等它完成后再签批。" in again.get_data(as_text=True)
    with app.app_context():
        with pytest.raises(scoring.ScoringError, match="另一项模型启用"):
            scoring.request_activation(first, actor_id=None, reason="回退到上一版本")
        # the first model's sign-off by the system, and staff's one: nothing of the refused ones
        assert db.session.scalar(select(func.count(ModelActivation.id))) == 2
        assert db.session.scalar(select(func.count(Job.id))) == 1
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "model_activations.sign")) == 2
        # two sign-offs racing past the check: the database keeps one signed row
        db.session.add(ModelActivation(model_version=first, reason="并发签批", status="signed"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        jobs.run(queued[0])  # the worker runs it: the second version is active, the rule lifts
        assert scoring.registry.active_version(app.config["MODEL_DIR"]) == second
        assert scoring.activation_in_progress() is None
    response = client.submit(f"/commission/models/{first}/activate", {"reason": "回退到上一版本"},
                             page=f"/commission/models/{first}")
    assert response.status_code == 302 and len(queued) == 2


def test_train_model_signs_off_the_first_model_and_never_replaces_one_without_a_reason(app, runner):
    """flask train-model: a platform's first model is activated as a sign-off by the system (recorded, audited,
    the city scored); a later version stays in shadow unless --activate comes with a reason, which is checked
    before anything is trained; with one it goes through the same sign-off record as staff's."""
    from marketplace.models import AuditLog, ModelActivation

    seed_city(runner)
    result = runner.invoke(args=["train-model", "--no-challenger"])
    assert result.exit_code == 0, result.output
    assert "（已启用）" in result.output and f"为 {FIRMS:,} 家平台企业重新评分" in result.output
    with app.app_context():
        (first,) = [v["version"] for v in scoring.registry.versions(app.config["MODEL_DIR"])]
        row = db.session.scalar(select(ModelActivation))
        assert (row.model_version, row.status, row.reason, row.signed_by, row.previous_version) == (
            first, "activated", scoring.FIRST_MODEL_REASON, None, None)
        assert db.session.scalar(select(func.count(EnterpriseScore.id))) == FIRMS
        assert {a for (a,) in db.session.execute(select(AuditLog.action).where(
            AuditLog.action.like("model_activations.%")))} == {"model_activations.sign",
                                                                 "model_activations.activate"}
    again = ["train-model", "--enterprises-from", "synthetic", "--enterprises", "900", "--seed", "11",
             "--no-challenger"]
    result = runner.invoke(args=again)
    assert result.exit_code == 0, result.output
    assert "（已启用）" not in result.output and "影子模式" in result.output
    for reason in ([], ["--reason", "好"]):
        refused = runner.invoke(args=[*again, "--activate", *reason])
        assert refused.exit_code == 2 and "签批理由" in refused.output and "Traceback" not in refused.output
    with app.app_context():
        versions = scoring.registry.versions(app.config["MODEL_DIR"])
        assert len(versions) == 2 and scoring.registry.active_version(app.config["MODEL_DIR"]) == first
    result = runner.invoke(args=[*again, "--activate", "--reason", "季度复核后由运维按批示启用"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        newest = scoring.registry.active_version(app.config["MODEL_DIR"])
        assert newest not in {v["version"] for v in versions}
        row = db.session.scalar(select(ModelActivation).where(ModelActivation.model_version == newest))
        assert (row.status, row.reason, row.previous_version) == ("activated", "季度复核后由运维按批示启用", first)
        current = select(EnterpriseScore.model_version).join(
            CurrentScore, CurrentScore.score_id == EnterpriseScore.id).distinct()
        assert db.session.scalars(current).all() == [newest]


def test_training_reads_only_firms_with_outcomes_and_the_card_shows_out_of_time_and_recalibration(
        app, runner, client, auth, tmp_path, monkeypatch):
    app.config["OUT_OF_TIME_VALIDATION"] = True  # off for the other tests (a second model each time)
    # A registry twice the platform: the other registered firms have no outcome and must cost nothing.
    result = runner.invoke(args=["seed", "--enterprises", str(FIRMS), "--registry", str(2 * FIRMS),
                                 "--institutions", "3", "--products", "6"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        told = []
        length = scoring.training_firm_count()
        X, outcomes, truth, as_of, source, earlier, seasonal = scoring.training_set(progress=told.append)
        # The bar's length is exactly what it is told: the outcome firms now and a year earlier.
        assert sum(told) == length == len(X) + len(earlier["X"])
        platform = set(db.session.scalars(select(Enterprise.uscc)))
        assert set(X.index) == platform and set(earlier["X"].index) <= platform
        assert earlier["as_of"] == date(2025, 10, 31) and 0 < len(earlier["X"]) < len(X)
        # The training sample is drawn from the outcomes before any feature is built, stratified.
        monkeypatch.setattr(scoring, "TRAIN_SAMPLE", 300)
        Xs, outs, _, _, src, es, _ = scoring.training_set()
        assert len(Xs) == len(outs) == len(es["X"]) == 300 and "分层随机抽取 300 家" in src["sample_note"]
        assert abs(outs["defaulted_12m"].mean() - outcomes["defaulted_12m"].mean()) < 0.01
        monkeypatch.undo()
    result = runner.invoke(args=["train-model", "--no-challenger"])
    assert result.exit_code == 0, result.output
    assert f"训练模型：{FIRMS:,} 家有结局的企业" in result.output and "跨时间验证：在 2025-10-31 时点" in result.output
    _staff_and_banker(app)
    with app.app_context():
        version = scoring.registry.active_version(app.config["MODEL_DIR"])
        card = scoring.model_card(version)["card"]
    oot = card["out_of_time"]
    assert oot["train_as_of"] == "2025-10-31" and oot["test_as_of"] == "2026-10-31"
    assert oot["test_firms"] == card["sizes"]["test"] and oot["auc_in_time"] == card["metrics"]["auc"]
    assert 0.55 < oot["auc_out_of_time"] < 1 and oot["train_firms"] == len(earlier["X"])
    assert "未在平台借款的企业没有违约结局" in card["documentation"]["exclusions"]
    auth.login("staff")
    page = client.get(f"/commission/models/{version}").get_data(as_text=True)
    assert 'data-testid="out-of-time"' in page and f'id="auc-out-of-time">{oot["auc_out_of_time"]:.3f}' in page
    assert "在 2025-10-31 时点训练的模型" in page and "样本：训练：2025-10-31 时点在册、有结局的企业" in page
    assert 'data-testid="recalibration"' in page and "主标尺" in page and "flask recalibrate-model" in page
    rec = card["validation"]["recalibration"]
    assert f"重新校准前 {rec['within_before'][0]}/{rec['within_before'][1]}" in page

    # Recalibration makes a new version that waits for the sign-off; the active model does not change.
    result = runner.invoke(args=["recalibrate-model", version])
    assert result.exit_code == 0, result.output
    assert "未启用" in result.output and "等级回测" in result.output
    with app.app_context():
        versions = scoring.registry.versions(app.config["MODEL_DIR"])
        assert scoring.registry.active_version(app.config["MODEL_DIR"]) == version and len(versions) == 2
        new = next(v["version"] for v in versions if v["version"] != version)
        old_model = scoring.registry.load(Path(app.config["MODEL_DIR"]) / version)
        new_model = scoring.registry.load(Path(app.config["MODEL_DIR"]) / new)
        p_old, p_new = old_model.predict_pd(X), new_model.predict_pd(X)
        assert abs(p_new.mean() - outcomes["defaulted_12m"].mean()) <= abs(p_old.mean() - outcomes["defaulted_12m"].mean()) + 0.002
        rank = {g: i for i, g in enumerate(codes.GRADES)}
        order = p_old.argsort(kind="stable")
        by_old_pd = [rank[g] for g in new_model.scale.grade(p_new[order])]
        assert by_old_pd == sorted(by_old_pd)  # a higher PD before never gets a better grade after
        assert {r.model_version for r in score_rows()} == {version}  # the new version scored nothing
    page = client.get(f"/commission/models/{new}").get_data(as_text=True)
    assert 'data-testid="recalibrated-from"' in page and f"由版本 {version} 按观察组合重新校准" in page
    # The new version's card shows its own Brier and calibration by decile, on the original's very test rows.
    with app.app_context():
        new_card = scoring.model_card(new)["card"]
    own = new_card["recalibrated_from"]
    assert own["held_out"] and own["before"]["n"] == own["after"]["n"] == card["sizes"]["test"]
    assert own["before"]["brier"] == card["metrics"]["brier"]  # the same rows as the original's metrics
    assert new_card["metrics"]["brier"] == own["after"]["brier"] != card["metrics"]["brier"]
    assert new_card["metrics"]["auc"] == card["metrics"]["auc"]
    assert new_card["calibration_table"] == own["after"]["calibration_table"] != card["calibration_table"]
    assert len(own["after"]["calibration_table"]) == 10
    assert 'data-testid="recalibrated-calibration"' in page
    assert f'id="recalibrated-brier">{own["after"]["brier"]:.4f}' in page
    assert f'id="metric-brier">{own["after"]["brier"]:.3f}' in page and "（本版本，重新校准后）" in page
    assert "签批启用" in page
    result = runner.invoke(args=["recalibrate-model", "nope"])
    assert result.exit_code == 2 and "没有模型版本 nope" in result.output

    # Outcomes from a file have one date only: the card says so in Chinese.
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    result = runner.invoke(args=["train-model", "--outcomes", str(tmp_path / "outcomes.csv"), "--no-activate",
                                 "--no-challenger"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        latest = scoring.registry.versions(app.config["MODEL_DIR"])[-1]["version"]
    page = client.get(f"/commission/models/{latest}").get_data(as_text=True)
    assert "结局来自外部文件，只有一个时点的结局，没有更早时点的结局，未做跨时间验证。" in page
