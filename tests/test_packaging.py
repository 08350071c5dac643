"""`pip install .` (not editable) gives a working app: pyproject names every package of the tree and ships the
top-level templates/ and static/ inside the package, where create_app finds them."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_packages_every_package_and_the_templates_and_static_folders():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {str(p.parent.relative_to(ROOT)).replace("/", ".") for top in ("marketplace", "risk", "seed")
               for p in (ROOT / top).rglob("__init__.py") if "migrations" not in p.parts}
    assert on_disk <= listed, f"packages missing from pyproject: {sorted(on_disk - listed)}"
    assert config["package-dir"] == {"marketplace.templates": "templates", "marketplace.static": "static"}
    assert config["package-data"]["marketplace.templates"] == ["**/*.html"]
    assert config["package-data"]["marketplace.static"] == ["**/*"]


def test_license_file_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()


def test_readme_links_stay_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    operations = readme[readme.index("## Operations"):]
    assert ".venv/bin/activate" in operations or ".venv/bin/flask" in operations
    assert "--port" in readme and "--host" in readme
