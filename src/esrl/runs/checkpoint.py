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
    """Write atomically; a failed write (a full disk) leaves the previous file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    header = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **{_META: header}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk or a read-only place: the previous file stays
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
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


def save_torch_state(path: Path, state: dict[str, Any]) -> None:
    """A torch agent's state (tensors, numbers, lists, dicts), atomically like `save_checkpoint`."""
    import torch

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk or a read-only place: the previous file stays
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def load_torch_state(path: Path, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A state saved by `save_torch_state`; UserError if unreadable or lacking a
    `required` key."""
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise UserError(f"checkpoint {path} is corrupt or unreadable ({exc})") from None
    require_keys(state, required, path)
    return state


def require_keys(state: Any, required: tuple[str, ...], path: Path) -> None:
    """UserError naming what a loaded checkpoint lacks."""
    missing = [key for key in required if not isinstance(state, dict) or key not in state]
    if missing:
        raise UserError(f"checkpoint {path} lacks {', '.join(missing)}")
