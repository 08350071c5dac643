"""risk/ stands alone: no Flask, no marketplace (DESIGN.md: marketplace → risk, never back)."""
import re
import subprocess
import sys
from pathlib import Path

RISK = Path(__file__).resolve().parents[2] / "risk"


def test_risk_sources_import_neither_flask_nor_marketplace():
    pattern = re.compile(r"^(from|import) (flask|marketplace)", re.M)
    offenders = [p.name for p in RISK.glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_importing_the_engine_loads_no_flask():
    code = ("import sys, risk.features, risk.model, risk.registry, risk.__main__; "
            "print(any(m == 'flask' or m.startswith(('flask.', 'marketplace')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
