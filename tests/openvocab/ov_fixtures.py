"""Writers for MER2024's files (``name,openset`` CSVs, per-sample ``.npy`` groupings in a
folder or a zip) and a reference of MER2024's scoring rule for the tests.

The reference re-implements, independently of emoeval's code, the rule of MER2024's
evaluation (github.com/zeroQiaoba/MERTools, ``MER2024``: ``string_to_list``,
``listlist_to_list`` and the open-set overlap rate): split on quote characters without
stripping, lower-case, map each word to its group's first word, accuracy = |t&p|/|p| (0 for
an empty p), recall = |t&p|/|t|, samples without a ``.npy`` skipped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np


def write_openset_csv(path: Path, rows: dict[str, str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "openset"])
        for name, value in rows.items():
            writer.writerow([name, value])
    return path


def npy_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array(text))
    return buffer.getvalue()


def write_npy_folder(folder: Path, groups: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in groups.items():
        (folder / f"{name}.npy").write_bytes(npy_bytes(text))
    return folder


def write_npy_zip(path: Path, groups: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("openset-synonym/", "")
        for name, text in groups.items():
            archive.writestr(f"openset-synonym/{name}.npy", npy_bytes(text))
    return path


def _pieces(text: str) -> list[str]:
    out = []
    for piece in re.split(r"['\"]", text):
        if piece.strip() in ("", ","):
            continue
        out.append(piece)
    return out


def reference_mer2024(truth: dict[str, str], predicted: dict[str, str],
                      groupings: dict[str, str]) -> tuple[float, float]:
    accuracy, recall = [], []
    for name, gold in truth.items():
        if name not in groupings:
            continue
        sets = []
        for cell in (gold, predicted.get(name, "")):
            sets.append(_pieces(cell.split("[")[1].split("]")[0]) if cell else [])
        mapping = {}
        for part in re.split(r"[\[\]]", groupings[name]):
            if part.strip() in ("", ","):
                continue
            group = _pieces(part)
            for word in group:
                mapping[word.lower()] = group[0].lower()
        t = {mapping.get(w.lower(), w.lower()) for w in sets[0]}
        p = {mapping.get(w.lower(), w.lower()) for w in sets[1]}
        accuracy.append(len(t & p) / len(p) if p else 0.0)
        recall.append(len(t & p) / len(t))
    return float(np.mean(accuracy)), float(np.mean(recall))
