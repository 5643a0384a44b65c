"""Reproduce the insight models shipped in ``src/warmline/models/shipped/``.

Reads ``../shared/data`` (GoEmotions, Apache-2.0; Banking77, CC BY 4.0) and writes the
model files. Deterministic: running it again gives the same weights.

    .venv/bin/python scripts/train_insight_models.py [emotions] [reasons]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# One thread for numerical libraries: the machine is shared, and results stay reproducible.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from insight_data import banking77, goemotions, goemotions_labels
from warmline.models.reasons import REASON_FILE
from warmline.training.emotions import train_emotion_model
from warmline.training.reasons import train_reason_model

MODELS = ROOT / "src" / "warmline" / "models" / "shipped"


def emotions() -> None:
    """GoEmotions Ekman: NB-LR per emotion, thresholds and C on the dev split."""
    started = time.perf_counter()
    texts, sets = goemotions("train")
    dev_texts, dev_sets = goemotions("dev")
    trained = train_emotion_model(texts, sets, dev_texts, dev_sets, goemotions_labels())
    data = trained.model.to_bytes()
    (MODELS / "goemotions_ekman.npz").write_bytes(data)
    print(
        f"emotions: C={trained.regularisation}, dev F1 "
        + ", ".join(f"{k} {v:.3f}" for k, v in trained.dev_f1.items())
        + f"; {len(data) / 1e6:.2f} MB in {time.perf_counter() - started:.0f} s"
    )


def reasons() -> None:
    """Banking77 train split only; GoEmotions train comments stand in for off-topic messages.

    (GoEmotions test stays unseen: the benchmark measures off-topic detection on it.)
    """
    started = time.perf_counter()
    texts, labels = banking77("train")
    outside = goemotions("train")[0]
    model, report = train_reason_model(texts, labels, seed=0, outside_texts=outside)
    data = model.to_bytes()
    (MODELS / REASON_FILE).write_bytes(data)
    for line in report.lines():
        print(f"reasons: {line}")
    print(f"reasons: {len(data) / 1e6:.2f} MB in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    wanted = set(sys.argv[1:]) or {"emotions", "reasons"}
    if "emotions" in wanted:
        emotions()
    if "reasons" in wanted:
        reasons()
