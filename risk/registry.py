"""The model registry on disk: MODEL_DIR/<version>/{model.txt, card.json, reference_scores.json}, and
MODEL_DIR/ACTIVE naming the one version in use. Older versions stay for comparison (PSI, AUC).

A version directory is written under a temporary name and renamed into place, and ACTIVE is replaced
atomically, so a reader never sees half a model.
"""
import json
import math
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import lightgbm as lgb

from .grades import ScoreScale
from .model import RiskModel

MODEL_FILE, CARD_FILE, SCORES_FILE, ACTIVE_FILE = "model.txt", "card.json", "reference_scores.json", "ACTIVE"


class ModelNotFound(FileNotFoundError):
    """No model where one was expected; the message says where it looked."""


def save(m: RiskModel, model_dir, version: str | None = None, activate: bool = True) -> Path:
    """Write `m` as a new version under model_dir (and make it the active one); returns its directory."""
    root = Path(model_dir)
    root.mkdir(parents=True, exist_ok=True)
    version = version or _new_version(root)
    if (root / version).exists():
        raise FileExistsError(f"model version {version} already exists in {root}")
    card = dict(m.card)
    ref = card.pop("reference_scores", [])
    card.update({
        "version": version,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inference": {
            "features": m.features, "categories": m.categories, "monotone": m.monotone,
            "calibration": m.calibration, "scale": m.scale.to_dict(), "medians": m.medians,
            "quantiles": m.quantiles, "use_catalogue": m.use_catalogue, "seasonal": m.seasonal,
        },
    })
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=root))
    m.booster.save_model(str(tmp / MODEL_FILE))
    (tmp / CARD_FILE).write_text(json.dumps(_clean(card), ensure_ascii=False, indent=1, default=_json_default),
                                 encoding="utf-8")
    (tmp / SCORES_FILE).write_text(json.dumps(ref), encoding="utf-8")
    os.replace(tmp, root / version)
    m.card = {**card, "reference_scores": ref}
    if activate:
        set_active(root, version)
    return root / version


def load(path) -> RiskModel:
    """A model from a version directory, or the active version of a registry directory."""
    path = Path(path)
    if not (path / CARD_FILE).exists():
        if (path / ACTIVE_FILE).exists():
            return load(path / active_version(path))
        raise ModelNotFound(f"no model in {path} (neither {CARD_FILE} nor {ACTIVE_FILE} there)")
    card = json.loads((path / CARD_FILE).read_text(encoding="utf-8"))
    inf = card["inference"]
    scores = path / SCORES_FILE
    card["reference_scores"] = json.loads(scores.read_text()) if scores.exists() else []
    return RiskModel(booster=lgb.Booster(model_file=str(path / MODEL_FILE)), features=inf["features"],
                     categories=inf["categories"], monotone={k: int(v) for k, v in inf["monotone"].items()},
                     calibration=inf["calibration"], scale=ScoreScale.from_dict(inf["scale"]),
                     medians=inf["medians"], quantiles=inf.get("quantiles") or {},
                     use_catalogue=inf["use_catalogue"], seasonal=inf.get("seasonal"), card=card)


def load_active(model_dir) -> RiskModel:
    return load(Path(model_dir) / active_version(model_dir))


def active_version(model_dir) -> str:
    f = Path(model_dir) / ACTIVE_FILE
    if not f.exists():
        raise ModelNotFound(f"no active model in {model_dir}: train one first")
    return f.read_text().strip()


def set_active(model_dir, version: str) -> None:
    root = Path(model_dir)
    if not (root / version / CARD_FILE).exists():
        raise ModelNotFound(f"no model version {version} in {root}")
    tmp = root / f".{ACTIVE_FILE}.tmp"
    tmp.write_text(version + "\n")
    os.replace(tmp, root / ACTIVE_FILE)


def versions(model_dir) -> list[dict]:
    """Every saved version, oldest first: version, created_at, auc, active."""
    root = Path(model_dir)
    if not root.exists():
        return []
    active = (root / ACTIVE_FILE).read_text().strip() if (root / ACTIVE_FILE).exists() else None
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and (p / CARD_FILE).exists()):
        card = json.loads((d / CARD_FILE).read_text(encoding="utf-8"))
        out.append({"version": d.name, "created_at": card.get("created_at"),
                    "auc": card.get("metrics", {}).get("auc"), "active": d.name == active})
    return out


def previous_version(model_dir, version: str) -> str | None:
    """The version saved just before `version` (for PSI and AUC comparison on the model card)."""
    names = [v["version"] for v in versions(model_dir)]
    i = names.index(version) if version in names else len(names)
    return names[i - 1] if i > 0 else None


def _new_version(root: Path) -> str:
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    version, k = base, 1
    while (root / version).exists():
        k += 1
        version = f"{base}-{k}"
    return version


def _clean(o):
    """NaN / inf become null, so card.json is strict JSON any reader accepts."""
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def _json_default(o):
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "isoformat"):
        return o.isoformat()
    return str(o)
