"""The layout of a run directory, and the checks that keep one run from clobbering another.

RUN_DIR/config.json        algorithm, env and every hyperparameter (resolved)
RUN_DIR/metrics.jsonl      one JSON line per generation / update
RUN_DIR/tensorboard/       the same metrics as TensorBoard events
RUN_DIR/checkpoint.npz     latest state, written atomically (ES)
RUN_DIR/agent.pt           latest state of a torch agent (A2C, DQN), written atomically
RUN_DIR/learning_curve.png
RUN_DIR/videos/
"""

import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from esrl.configs import from_dict, to_dict
from esrl.errors import UserError


class RunDir:
    def __init__(self, path: Path | str):
        self.path = Path(path)

    config_path = property(lambda self: self.path / "config.json")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    checkpoint_path = property(lambda self: self.path / "checkpoint.npz")
    agent_path = property(lambda self: self.path / "agent.pt")  # torch agents (A2C, DQN)
    tensorboard_dir = property(lambda self: self.path / "tensorboard")
    curve_path = property(lambda self: self.path / "learning_curve.png")
    videos_dir = property(lambda self: self.path / "videos")

    @staticmethod
    def default_path(algo: str, env: str, seed: int) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return Path("runs") / f"{algo}-{env.replace('/', '_')}-seed{seed}-{stamp}"

    def started(self) -> bool:
        """Whether the run saved a checkpoint, so that --resume can continue it."""
        return self.checkpoint_path.is_file() or self.agent_path.is_file()

    @staticmethod
    def new_path(out: Path | str | None, algo: str, env: str, seed: int) -> Path:
        """`out`, or the default path for a new run; refused if it holds a run already."""
        path = Path(out) if out else RunDir.default_path(algo, env, seed)
        RunDir.check_new(path)
        return path

    @staticmethod
    def check_new(path: Path | str) -> None:
        """Refuse a path that already holds files, so nothing is lost; a run directory
        that never saved a checkpoint holds nothing to lose and may be started again."""
        path = Path(path)
        if not path.exists() or (path.is_dir() and not any(path.iterdir())):
            return
        run = RunDir(path)
        if path.is_dir() and run.config_path.is_file() and not run.started():
            return
        if path.is_dir() and run.config_path.is_file():
            hint = f"continue it with --resume {path} or choose another --out"
        else:
            hint = "choose another --out"
        raise UserError(f"{path} already exists and is not empty; {hint}")

    @classmethod
    def create(cls, path: Path | str, algo: str, config: Any) -> "RunDir":
        """A new run directory holding the config of the run about to start, locked."""
        cls.check_new(path)
        run = cls(path)
        try:
            run.path.mkdir(parents=True, exist_ok=True)
            run.lock()
            if run.config_path.is_file():  # a run that never saved: start it afresh
                for leftover in (run.metrics_path, run.curve_path):
                    leftover.unlink(missing_ok=True)
                shutil.rmtree(run.tensorboard_dir, ignore_errors=True)
            run.write_config(algo, config)
        except OSError as exc:
            raise UserError(f"cannot create run directory {run.path}: {exc.strerror}") from None
        return run

    @classmethod
    def open(cls, path: Path | str) -> "RunDir":
        """An existing run directory, to read (eval, plot) or, after `lock`, to resume."""
        run = cls(path)
        if not run.config_path.is_file():
            raise UserError(f"{run.path} is not a run directory (no config.json)")
        return run

    def open_to_resume(self) -> "RunDir":
        """This run, locked for one driver, with a checkpoint to continue from."""
        if not self.started():
            raise UserError(
                f"{self.path} never saved a checkpoint, so there is nothing to resume; "
                f"start it again with --out {self.path}"
            )
        try:
            self.lock()
        except OSError as exc:
            raise UserError(f"cannot write to run directory {self.path}: {exc.strerror}") from None
        return self

    def lock(self) -> None:
        """Hold a lock on RUN_DIR for the life of this driver: one driver per run.

        The lock is on the directory itself, so taking it writes nothing. With it held
        no other process of this run can be writing, so temp files of killed writes
        are removed.
        """
        handle = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise UserError(f"{self.path} is in use by another esrl process") from None
        self._lock = handle
        for tmp in [*self.path.glob("*.tmp"), *self.path.glob(".*.tmp")]:
            tmp.unlink(missing_ok=True)

    def __enter__(self) -> "RunDir":
        return self

    def __exit__(self, *exc_info) -> None:
        self.unlock()

    def unlock(self) -> None:
        handle = getattr(self, "_lock", None)
        if handle is not None:
            os.close(handle)
            self._lock = None

    def _payload(self) -> tuple[str, dict]:
        """(algorithm, config fields) from config.json, or one UserError line."""
        try:
            payload = json.loads(self.config_path.read_text(encoding="utf-8"))
            algo, saved = payload["algo"], payload["config"]
        except (ValueError, KeyError, TypeError, OSError) as exc:  # ValueError: JSON, UTF-8
            raise UserError(f"{self.config_path} is corrupt or unreadable ({exc})") from None
        if not isinstance(algo, str) or not isinstance(saved, dict):
            raise UserError(f"{self.config_path} is corrupt (no algo name and config fields)")
        return algo, saved

    def algo(self) -> str:
        """The algorithm that made this run, from config.json."""
        return self._payload()[0]

    def read_config(self, algo: str, config_cls: type) -> Any:
        saved_algo, saved = self._payload()
        if saved_algo != algo:
            raise UserError(f"{self.path} holds a {saved_algo} run, not {algo}")
        return from_dict(config_cls, saved)

    def write_config(self, algo: str, config: Any) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"algo": algo, "config": to_dict(config)}, indent=2) + "\n")
        tmp.replace(self.config_path)
