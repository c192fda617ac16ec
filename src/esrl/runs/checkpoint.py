"""Atomic checkpoints: arrays plus a JSON header in one .npz, written to a temp file and renamed.

A crash at any moment leaves either the previous checkpoint or the new one, never
a torn file.
"""

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from esrl.errors import UserError

_META = "__meta__"


def save_checkpoint(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    header = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **{_META: header}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k != _META}
            meta = json.loads(data[_META].tobytes().decode())
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError, OSError) as exc:
        raise UserError(f"checkpoint {path} is corrupt or unreadable ({exc})") from None
    return arrays, meta
