"""flask commands: seed, import-data, registry-findings, create-commission-user, demo, train-model, score-all, exports."""
import os
import secrets
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db
from .services.ingest import SOURCES

DEMO_REGISTRY_RATIO = 20  # registered firms per platform firm in the demo city (Jinan: 580,000 / 28,258)


class CommandError(click.ClickException):
    """A command that cannot do what was asked: one clear line on stderr ("错误：…") and exit code 2, like a
    usage error — never a traceback."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@click.command("seed")
@click.option("--enterprises", default=2000, show_default=True, help="Number of enterprises in the city.")
@click.option("--institutions", default=20, show_default=True)
@click.option("--products", default=80, show_default=True)
@click.option("--months", default=24, show_default=True, help="Months of department data per enterprise.")
@click.option("--departments/--no-departments", default=True, show_default=True,
              help="Also generate the department data (registry, tax, social insurance, …).")
@click.option("--registry", type=click.IntRange(min=0), default=None,
              help="Firms in the city's registry (在营企业数据库), at least --enterprises: the platform's firms are "
                   "its first ones (default: the same as --enterprises).")
@click.option("--applications", default=0, show_default=True,
              help="Also generate this many historical loan applications (demo lending history).")
@click.option("--seed", "seed_value", default=2026, show_default=True, help="Random seed: same seed, same city.")
@click.option("--reset", is_flag=True, help="Drop all data first (asks for confirmation).")
@with_appcontext
def seed_command(enterprises, institutions, products, months, departments, registry, applications, seed_value,
                 reset):
    """Generate the synthetic demo city into the database (bulk inserts)."""
    from seed import load

    if reset:
        click.confirm("这将清空数据库中的全部数据，继续吗？", abort=True)
        _drop_everything()
    if registry is not None and registry < enterprises:
        raise click.BadParameter("在营企业数据库不能少于平台企业数（--enterprises）。", param_hint="--registry")
    upgrade()
    if load.is_seeded(db.engine):
        raise CommandError("数据库中已有企业数据：请使用空数据库，或加 --reset 清空后重新生成。")
    with click.progressbar(length=enterprises, label="生成企业") as bar:
        counts = load.load_city(db.engine, enterprises=enterprises, institutions=institutions,
                                products=products, seed=seed_value, progress=bar.update)
    click.echo(f"已生成：企业 {counts['enterprises']} 家，金融机构 {counts['institutions']} 家，"
               f"产品 {counts['products']} 个（seed={seed_value}）。")
    try:
        if departments:
            _seed_departments(enterprises, months, seed_value, registry)
        if applications:
            _seed_history(applications, seed_value)
    except RuntimeError as e:  # the registry or the lending history is already there
        raise CommandError(str(e)) from None


def _seed_history(applications: int, seed_value: int) -> None:
    from seed import load

    started = time.perf_counter()

    def phase(label: str) -> None:  # the history is generated, then written table by table: say each step
        click.echo(f"  [{time.perf_counter() - started:6.1f} 秒] {label}")
    counts = load.load_history(db.engine, applications=applications, seed=seed_value, phase=phase)
    click.echo(f"演示融资记录：申请 {counts['applications']:,} 笔，平台外信易贷报送 {counts['off_platform_loans']:,} 条。")


def _seed_departments(enterprises: int, months: int, seed_value: int, registry: int | None = None) -> None:
    from seed import load

    from .services.ingest import SOURCES

    others = max((registry or 0) - enterprises, 0)
    with click.progressbar(length=enterprises, label="生成平台企业的部门数据") as bar, \
            click.progressbar(length=others, label="生成在营企业数据库其余企业") as rest:
        # Two phases, two bars: a platform firm's 24 months weigh far more than a registry-only row.
        rows = load.load_departments(db.engine, enterprises=enterprises, months=months, seed=seed_value,
                                     progress=bar.update, registry=registry,
                                     registry_progress=rest.update if others else None)
    click.echo("部门数据：" + "，".join(f"{SOURCES[k].label} {v:,} 行" for k, v in rows.items()) + "。")
    _verify_identities()


def _verify_identities() -> None:
    from .services import identity

    result = identity.verify_pending_against_registry()
    if result["checked"]:
        click.echo(f"实名核验：待核验企业 {result['checked']:,} 家与登记信息比对，{result['verified']:,} 家一致、已核验。")


@click.command("verify-identities")
@with_appcontext
def verify_identities_command():
    """Check every pending firm account against the registry (e.g. after a registry import that added 法定代表人)."""
    _verify_identities()


@click.command("refresh-loans")
@with_appcontext
def refresh_loans_command():
    """Move loans to 逾期 / 不良 from their repayment schedules (the worker does it daily at 01:30 Beijing time; this runs it now)."""
    from .services import schedules

    moved = schedules.refresh()
    click.echo(f"还款计划检查：转入逾期 {moved['overdue']} 笔，认定不良 {moved['defaulted']} 笔。")


@click.command("import-data")
@click.argument("source", type=click.Choice(list(SOURCES)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", default=None, help="Record the batch as imported by this account.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the row-by-row report (CSV) when the file is rejected.")
@with_appcontext
def import_data_command(source, file, username, report_file):
    """Import a department file (CSV in UTF-8 / UTF-8 BOM / GBK, or XLSX): all rows or none."""
    from sqlalchemy import select

    from .models import User
    from .services import RuleViolation, ingest

    user_id = None
    if username:
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise CommandError(f"账号不存在：{username}")
    try:
        checked = ingest.check(source, file.read_bytes(), file.name)
    except RuleViolation as e:
        raise CommandError(e.message) from None
    label = checked.source.label
    if not checked.ok:
        report_file = report_file or file.with_name(file.stem + ".错误报告.csv")
        report_file.write_bytes(ingest.report_csv(checked.errors))
        click.echo(f"{label}：文件 {file.name} 有 {len(checked.errors)} 处错误，整个文件未导入。", err=True)
        for row in checked.errors.head(20).itertuples(index=False):
            click.echo(f"  第{row[0]}行 {row[1]}「{row[2]}」：{row[3]}", err=True)
        click.echo(f"完整报告：{report_file}", err=True)
        sys.exit(CommandError.exit_code)
    with click.progressbar(length=len(checked.rows), label=f"导入{label}") as bar:
        result = ingest.save(checked, user_id=user_id, progress=bar.update)
    period = checked.period_range()
    span = f"，期间 {period[0]:%Y-%m} 至 {period[1]:%Y-%m}" if period[0] else ""
    click.echo(f"已导入{label} {result.rows_accepted:,} 行（批次 {result.batch_id}，编码 {checked.encoding}{span}，"
               f"替换原有 {result.rows_replaced:,} 行）。")
    if result.kept:
        click.echo(ingest.governed.describe(result.kept) + "。")
    if result.rescored:
        click.echo(f"已按新数据重新评分 {result.rescored:,} 家平台企业。")
    if not checked.findings.empty:
        click.echo(f"发现无效或重复的统一社会信用代码 {len(checked.findings):,} 个，已剔除：", err=True)
        for row in checked.findings.head(20).itertuples(index=False):
            click.echo(f"  第{row[0]}行「{row[2]}」：{row[3]}", err=True)
    if checked.ignored_columns:
        click.echo(f"已忽略无法识别的列：{'、'.join(checked.ignored_columns)}", err=True)


def _parse_day(value):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("格式应为 YYYY-MM-DD，例如 2026-10-31。", param_hint="--as-of") from None


def _read_labels(path: Path, column: str):
    """A CSV of uscc and one value column (outcomes.csv, truth.csv of `python -m seed export`)."""
    import io

    import pandas as pd

    from .services import RuleViolation
    from .services.ingest import decode_csv

    try:
        text, _ = decode_csv(path.read_bytes())
    except RuleViolation as e:
        raise CommandError(f"{path.name}：{e.message}") from None
    df = pd.read_csv(io.StringIO(text), dtype={"uscc": str})
    missing = [c for c in ("uscc", column) if c not in df.columns]
    if missing:
        raise CommandError(f"{path.name} 缺少列：{'、'.join(missing)}（应为 uscc,{column}）")
    df["uscc"] = df["uscc"].str.strip().str.upper()
    return df[["uscc", column]]


def train_model(*, as_of=None, enterprises_from="db", enterprises=None, months=None, seed_value=None,
                outcomes_file=None, truth_file=None, activate=None, reason=None, challenger=True) -> dict:
    """Read the label files, then let the scoring service assemble the training set and train; see
    `flask train-model`. activate None: only a platform's first model is activated (signed off by the system);
    replacing an active model needs a reason, checked before the training starts."""
    from .services import scoring

    first = scoring.active_model() is None
    activate = first if activate is None else activate
    if activate:
        try:
            reason = scoring.activation_reason(reason)
        except scoring.ScoringError as e:
            raise click.UsageError(f"{e} 已有启用的模型：用 --reason 写明签批理由，或去掉 --activate，新版本将在影子模式下"
                                   "与启用中的模型对比，由工作人员在模型页签批启用。") from None
    outcomes = _read_labels(outcomes_file, "defaulted_12m") if outcomes_file else None
    truth = _read_labels(truth_file, "true_pd") if truth_file else None
    try:
        with click.progressbar(length=scoring.training_firm_count(enterprises_from, enterprises, outcomes),
                               label="构建有结局企业的特征（分块）") as bar:
            X, outcomes, truth, as_of, source, earlier, seasonal = scoring.training_set(
                as_of=as_of, enterprises_from=enterprises_from, enterprises=enterprises, months=months,
                seed_value=seed_value, outcomes=outcomes, truth=truth,
                outcomes_name=Path(outcomes_file).name if outcomes_file else None,
                truth_name=Path(truth_file).name if truth_file else None, progress=bar.update)
        result = scoring.train(X, outcomes, truth, as_of=as_of, source=source, activate=False,
                               challenger=challenger, earlier=earlier, stage=click.echo,
                               seasonal=seasonal)
        if activate:  # the same sign-off record as staff's on the model card, the re-score shown as it runs
            click.echo(f"签批启用模型 {result['version']}（{reason}），以它为全部平台企业重新评分……")
            with _scoring_bars() as (progress, feature_progress):
                result["scoring"] = scoring.activate_now(result["version"], reason=reason, progress=progress,
                                                         feature_progress=feature_progress)
            result["active"] = True
        return result
    except scoring.TrainingSetUsage as e:
        raise click.UsageError(str(e)) from None
    except scoring.ScoringError as e:
        raise CommandError(str(e)) from None


def _echo_training(result: dict, seconds: float) -> None:
    def f(v):
        return "—" if v is None else f"{v:.3f}"

    click.echo(f"模型 {result['version']}{'（已启用）' if result['active'] else ''}：企业 {result['firms']:,} 家，"
               f"违约 {result['bads']:,} 家；测试集 AUC {f(result['auc'])}，KS {f(result['ks'])}，"
               f"Gini {f(result['gini'])}，Brier {f(result['brier'])}；逻辑回归基线 AUC {f(result['baseline_auc'])}；"
               f"理论最优（oracle）AUC {f(result['oracle_auc'])}。用时 {seconds:.1f} 秒。")


@click.command("registry-findings")
@click.argument("batch_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def registry_findings_command(batch_id, file):
    """Store the bad codes (indicator 九's records) of a registry batch imported before they were kept, read
    again from the very file that was imported (its SHA-256 must match the batch's)."""
    from .services import RuleViolation, ingest

    try:
        stored = ingest.backfill_findings(batch_id, file.read_bytes(), file.name)
    except RuleViolation as e:
        raise CommandError(e.message) from None
    click.echo(f"第{batch_id}批：已补录重错码明细 {stored} 条（指标九可追溯到每一行）。")


@click.command("train-model")
@click.option("--as-of", "as_of", default=None, help="Features as of this date, YYYY-MM-DD (default: the "
              "synthetic city's as-of date, else the last day of the latest month of tax records).")
@click.option("--enterprises-from", type=click.Choice(["db", "synthetic"]), default="db", show_default=True,
              help="db: the department tables in the database; synthetic: a city generated in memory.")
@click.option("--enterprises", type=int, default=None,
              help="synthetic: number of firms (default: as many as the seeded city, else 2000).")
@click.option("--months", type=int, default=None, help="synthetic: months of records (default 24).")
@click.option("--seed", "seed_value", type=int, default=None,
              help="synthetic: the generator's seed (default: the seeded city's, else 2026).")
@click.option("--outcomes", "outcomes_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="db: CSV uscc,defaulted_12m (default: regenerated from the seed recorded when "
              "the database was seeded).")
@click.option("--truth", "truth_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="db: CSV uscc,true_pd, for the oracle AUC beside the model's.")
@click.option("--activate/--no-activate", default=None,
              help="Sign the new version into use and re-score every platform firm with it. Default: only a "
              "platform's first model; later versions are scored in shadow beside the active one until staff sign "
              "them off on the model card, or --activate --reason here.")
@click.option("--reason", default=None, help="The sign-off's reason when --activate replaces the active model.")
@click.option("--challenger/--no-challenger", default=True, show_default=True,
              help="Also train the WOE scorecard challenger on the same rows (optbinning; the slower part).")
@with_appcontext
def train_model_command(as_of, enterprises_from, enterprises, months, seed_value, outcomes_file, truth_file,
                        activate, reason, challenger):
    """Train the credit-risk model (features as of a date, 12-month default) and save it in MODEL_DIR."""
    started = time.perf_counter()
    result = train_model(as_of=_parse_day(as_of), enterprises_from=enterprises_from, enterprises=enterprises,
                         months=months, seed_value=seed_value, outcomes_file=outcomes_file, truth_file=truth_file,
                         activate=activate, reason=reason, challenger=challenger)
    _echo_training(result, time.perf_counter() - started)
    if result["active"]:
        click.echo(f"已签批启用，并为 {result['scoring']['scored']:,} 家平台企业重新评分。")
    else:
        click.echo("新版本未启用：已在影子模式下与启用中的模型对比，请在 信用评分模型 页面审阅并签批启用。")


@click.command("recalibrate-model")
@click.argument("version")
@click.option("--outcomes", "outcomes_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="CSV uscc,defaulted_12m: the observed portfolio's 12-month outcomes after --as-of "
              "(default: the firms the version was measured on at training).")
@click.option("--as-of", "as_of", default=None, help="Features of the observed portfolio as of this date, YYYY-MM-DD "
              "(default: the last day of the latest month of tax records).")
@with_appcontext
def recalibrate_model_command(version, outcomes_file, as_of):
    """Save a recalibrated copy of VERSION (the master scale's PDs mapped onto an observed portfolio); it is not
    active until staff sign it off on the model card."""
    from .services import scoring

    outcomes = _read_labels(outcomes_file, "defaulted_12m") if outcomes_file else None
    try:
        r = scoring.recalibrate(version, outcomes, _parse_day(as_of), outcomes_file.name if outcomes_file else None)
    except scoring.ScoringError as e:
        raise CommandError(str(e)) from None
    (wb, nb), (wa, na) = r["within_before"], r["within_after"]
    click.echo(f"已保存重新校准的版本 {r['version']}（由 {version}；未启用）：logit(PD′) = {r['intercept']:.4f} + "
               f"{r['slope']:.4f} × logit(PD)；依据 {r['basis']}。等级回测：观察违约率落在等级区间内的等级 "
               f"{wb}/{nb} → {wa}/{na}。在 信用评分模型 页面审阅并签批后启用。")


def score_all(as_of=None) -> dict:
    from .services import scoring

    click.echo("读取部门数据、计算特征……")
    try:
        with _scoring_bars() as (progress, feature_progress):
            return scoring.score_firms(as_of=as_of, progress=progress, feature_progress=feature_progress)
    except scoring.ScoringError as e:
        raise CommandError(str(e)) from None


@contextmanager
def _scoring_bars():
    """Scoring the platform's firms in two phases, one bar each, each opened when its first step arrives (so its
    rate and ETA are its own): building the features chunk by chunk, then scoring. Yields (progress,
    feature_progress) for scoring.score_firms / activate_now."""
    from sqlalchemy import func, select

    from .models import Enterprise

    total = db.session.scalar(select(func.count()).select_from(Enterprise.__table__)) or 0
    bars: dict[str, object] = {}

    def phase(label: str):
        def step(n: int) -> None:
            if label not in bars:
                for other in bars.values():
                    other.__exit__(None, None, None)
                bars.clear()
                bars[label] = click.progressbar(length=total, label=label)
                bars[label].__enter__()
            bars[label].update(n)
        return step
    try:
        yield phase("企业评分"), phase("计算特征（分块）")
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)


def _echo_scoring(result: dict, seconds: float) -> None:
    from . import codes

    grades = "，".join(f"{g} {result['grades'][g]:,}" for g in codes.GRADES if g in result["grades"])
    click.echo(f"已评分 {result['scored']:,} 家企业（模型 {result['version']}，数据截至 {result['as_of']}，"
               f"用时 {seconds:.1f} 秒）：{grades or '无'}。")
    if result["unscored"]:
        click.echo(f"另有 {result['unscored']:,} 家平台企业不在在营企业数据库中，未评级。", err=True)


@click.command("score-all")
@click.option("--as-of", "as_of", default=None,
              help="Score as of this date, YYYY-MM-DD (default: the last day of the latest month of tax records).")
@with_appcontext
def score_all_command(as_of):
    """Score every platform enterprise with the active model and store one score row each (bulk)."""
    started = time.perf_counter()
    result = score_all(_parse_day(as_of))
    _echo_scoring(result, time.perf_counter() - started)


@click.command("create-commission-user")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name.")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_commission_user(username, display_name, password):
    """Create a commission staff (发改委用户) account."""
    from .services import RuleViolation, accounts

    try:
        user = accounts.create_user(username=username, password=password, role="commission",
                                    display_name=display_name or username)
    except RuleViolation as e:
        raise CommandError(e.message) from None
    click.echo(f"已创建发改委用户：{user.username}")


def _demo_scores() -> None:
    """The demo ends with an active model and scored firms (trained on the seeded city itself)."""
    from sqlalchemy import func, select

    from .models import EnterpriseScore
    from .services import scoring

    if scoring.active_model() is None:
        click.echo("正在训练信用评分模型（合成城市的12个月违约结局）……")
        started = time.perf_counter()
        _echo_training(train_model(), time.perf_counter() - started)
    if not db.session.scalar(select(func.count()).select_from(EnterpriseScore.__table__)):
        started = time.perf_counter()
        _echo_scoring(score_all(), time.perf_counter() - started)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--enterprises", default=2000, show_default=True)
@click.option("--workers", default=2, show_default=True)
@with_appcontext
def demo_command(host, port, enterprises, workers):
    """Build the database, seed the demo city once, print the demo accounts and start gunicorn."""
    import socket

    from seed import load

    with socket.socket() as probe:  # a busy port is found now, not after seeding and training
        try:
            probe.bind((host, port))
        except OSError:
            raise CommandError(f"{host}:{port} 已被占用或不可用：请用 --port 换一个端口（例如 --port 8001），"
                               "或用 --host 指定监听地址。") from None
    upgrade()
    if not load.is_seeded(db.engine):
        click.echo("正在生成演示城市（济南市）……")
        with click.progressbar(length=enterprises, label="生成企业") as bar:
            load.load_city(db.engine, enterprises=enterprises, institutions=20, products=80, seed=2026,
                           progress=bar.update)
        # The demo city's registry is DEMO_REGISTRY_RATIO times the platform, as in Jinan (28k of 580k).
        registry = enterprises * DEMO_REGISTRY_RATIO
        _seed_departments(enterprises, 24, 2026, registry)
        _seed_history(max(enterprises // 3, 1), 2026)
        load.load_denominators(registered_enterprises=registry)
    _verify_identities()
    _demo_scores()
    from seed.accounts import DEMO_PASSWORD, ensure_demo_accounts

    accounts = ensure_demo_accounts()
    secret_file = Path(current_app.instance_path) / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32))
        secret_file.chmod(0o600)
    click.echo(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
    for label, username, owner in accounts:
        click.echo(f"  {label:<8} 登录名 {username:<11} {owner}")
    click.echo(f"\n站点地址：http://{host}:{port}/   （Ctrl+C 停止）\n")
    env = dict(os.environ, SECRET_KEY=os.environ.get("SECRET_KEY") or secret_file.read_text().strip(),
               DATABASE_URL=current_app.config["SQLALCHEMY_DATABASE_URI"], INSTANCE_PATH=current_app.instance_path,
               MODEL_DIR=current_app.config["MODEL_DIR"])
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    sys.exit(serve_with_worker([gunicorn, "--bind", f"{host}:{port}", "--workers", str(workers),
                                "--no-control-socket", "--access-logfile", "-", "marketplace.wsgi:app"], env))


WORKER_COMMAND = [sys.executable, "-m", "huey.bin.huey_consumer", "marketplace.worker.huey", "--workers", "1"]


def serve_with_worker(web_command: list[str], env: dict) -> int:
    """Run the background-job worker (huey consumer) beside the web server; when the web server stops
    (Ctrl+C, SIGTERM, crash) the worker is stopped too. Returns the web server's exit code."""
    import signal
    import subprocess

    worker = subprocess.Popen(WORKER_COMMAND, env=env)
    web = subprocess.Popen(web_command, env=env)
    previous = signal.signal(signal.SIGTERM, lambda *_: web.terminate())
    try:
        while True:
            try:
                code = web.wait()
                break
            except KeyboardInterrupt:  # Ctrl+C reached both children (same process group); wait for them
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)  # huey: finish the running task, then stop
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    return code


def _writable_file(path: Path) -> None:
    """Refuse, before any work, a file whose folder does not exist."""
    if not path.parent.is_dir():
        raise CommandError(f"目录不存在：{path.parent}（请先创建该目录，或换一个 --out 路径）")


def _parse_month(value: str):
    from .services.workdays import parse_month

    try:
        return parse_month(value)
    except ValueError:
        raise click.BadParameter("格式应为 YYYY-MM，例如 2026-10。", param_hint="--month") from None


@click.command("export-indicators")
@click.option("--month", required=True, help="Month to report, YYYY-MM.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="XLSX file to write.")
@with_appcontext
def export_indicators(month, out_path):
    """Write the monthly report pack (one XLSX workbook) for a month."""
    from .services import reports

    first_day = _parse_month(month)
    _writable_file(Path(out_path))
    Path(out_path).write_bytes(reports.monthly_pack(first_day))
    click.echo(f"已生成 {out_path}（{first_day:%Y年%m月}）")


@click.command("share-feed")
@click.option("--month", required=True, help="Send records up to the end of this month, YYYY-MM.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the files.")
@with_appcontext
def share_feed(month, out_dir):
    """Produce and log the next batch for the national platform (指标十一): JSON Lines and CSV."""
    from .services import sharing

    first_day = _parse_month(month)
    try:
        batch = sharing.produce(first_day, actor_id=None)
    except sharing.NothingNew as e:  # no empty batch: say so and leave nothing behind
        click.echo(e.message)
        return
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("jsonl", "csv"):
        shutil.copyfile(sharing.batch_file(batch, fmt), out / f"share-{batch.id}.{fmt}")
    counts = "，".join(f"{sharing.RECORD_LABELS[k]} {v} 条" for k, v in batch.counts.items())
    click.echo(f"第 {batch.id} 批：{counts}，SHA-256 {batch.sha256}")


def init_app(app):
    for command in (seed_command, import_data_command, create_commission_user, demo_command, export_indicators,
                    share_feed, train_model_command, score_all_command, verify_identities_command,
                    refresh_loans_command, registry_findings_command, recalibrate_model_command):
        app.cli.add_command(command)
