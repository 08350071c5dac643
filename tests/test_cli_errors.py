"""Command-line errors are one clear line and exit code 2, found before any long work; the seed can make a
registry larger than the platform."""
import socket

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Enterprise, RegistryEnterprise


def _one_error_line(result):
    lines = [x for x in result.output.splitlines() if x.strip() and not x.startswith("INFO")]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len([x for x in lines if x.startswith("错误：")]) == 1, result.output
    return result.output


def test_seed_on_a_database_with_data_says_so_in_one_line(app, runner):
    assert runner.invoke(args=["seed", "--enterprises", "5", "--no-departments"]).exit_code == 0
    output = _one_error_line(runner.invoke(args=["seed", "--enterprises", "5", "--no-departments"]))
    assert "已有企业数据" in output and "--reset" in output


def test_export_into_a_missing_folder_is_refused_before_any_work(app, runner, tmp_path):
    missing = tmp_path / "no-such-folder" / "2026-10.xlsx"
    output = _one_error_line(runner.invoke(args=["export-indicators", "--month", "2026-10", "--out", str(missing)]))
    assert "目录不存在" in output and not missing.parent.exists()


def test_demo_checks_the_port_before_seeding(app, runner):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        output = _one_error_line(runner.invoke(args=["demo", "--port", str(port)]))
    assert "--port" in output and str(port) in output
    with app.app_context():
        assert db.session.scalar(select(func.count(Enterprise.id))) == 0, "nothing seeded"


def test_seed_makes_a_registry_larger_than_the_platform(app, runner):
    result = runner.invoke(args=["seed", "--enterprises", "40", "--registry", "400", "--months", "3",
                                 "--institutions", "2", "--products", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        platform = set(db.session.scalars(select(Enterprise.uscc)))
        registry = set(db.session.scalars(select(RegistryEnterprise.uscc)))
    assert len(platform) == 40 and len(registry) == 400 and platform <= registry
    assert runner.invoke(args=["seed", "--enterprises", "40", "--registry", "10"]).exit_code == 2
