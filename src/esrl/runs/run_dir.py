"""The layout of a run directory, and the checks that keep one run from clobbering another.

RUN_DIR/config.json        algorithm, env and every hyperparameter (resolved)
RUN_DIR/metrics.jsonl      one JSON line per generation / update
RUN_DIR/tensorboard/       the same metrics as TensorBoard events
RUN_DIR/checkpoint.npz     latest state, written atomically (ES)
RUN_DIR/agent.pt           latest state of a torch agent (A2C, DQN), written atomically
RUN_DIR/learning_curve.png
RUN_DIR/videos/
"""

import json
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

    @staticmethod
    def check_new(path: Path | str) -> None:
        """Refuse a path that already holds files, so nothing is lost."""
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UserError(
                f"{path} already exists and is not empty; "
                f"continue it with --resume {path} or choose another --out"
            )

    @classmethod
    def create(cls, path: Path | str, algo: str, config: Any) -> "RunDir":
        """A new run directory holding the config of the run about to start."""
        cls.check_new(path)
        run = cls(path)
        run.path.mkdir(parents=True, exist_ok=True)
        payload = {"algo": algo, "config": to_dict(config)}
        tmp = run.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        tmp.replace(run.config_path)
        return run

    @classmethod
    def open(cls, path: Path | str) -> "RunDir":
        run = cls(path)
        if not run.config_path.is_file():
            raise UserError(f"{run.path} is not a run directory (no config.json)")
        return run

    def algo(self) -> str:
        """The algorithm that made this run, from config.json."""
        try:
            return str(json.loads(self.config_path.read_text())["algo"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{self.config_path} is corrupt ({exc})") from None

    def read_config(self, algo: str, config_cls: type) -> Any:
        try:
            payload = json.loads(self.config_path.read_text())
            saved_algo, saved = payload["algo"], payload["config"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{self.config_path} is corrupt ({exc})") from None
        if saved_algo != algo:
            raise UserError(f"{self.path} holds a {saved_algo} run, not {algo}")
        return from_dict(config_cls, saved)

    def write_config(self, algo: str, config: Any) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"algo": algo, "config": to_dict(config)}, indent=2) + "\n")
        tmp.replace(self.config_path)
