"""One metrics record per generation or update, to JSONL and TensorBoard at once."""

import json
import sys
from pathlib import Path
from typing import Any


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not Path(path).is_file():
        return []
    records = []
    for line in Path(path).read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line torn by a crash ends the usable log
    return records


def _summary_writer_class() -> type:
    """tensorboardX's SummaryWriter, imported without torch where torch is not loaded yet.

    tensorboardX imports torch, if installed, only to accept tensors as values; the
    records here are plain numbers, and torch's import takes seconds.
    """
    hide = "torch" not in sys.modules
    if hide:
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` fails
    try:
        from tensorboardX import SummaryWriter
    finally:
        if hide:
            del sys.modules["torch"]
    return SummaryWriter


SHARED_TAGS = {
    "steps_per_second": "charts/steps_per_second",
    "seconds": "charts/seconds",
}


def tensorboard_tag(key: str, algo: str, return_key: str) -> str:
    """The TensorBoard tag of a record's key, namespaced so that runs of every algorithm
    overlay: `charts/episodic_return` (the algorithm's `return_key`: ES its mean policy's
    return, A2C and DQN their last 100 training games), `charts/steps_per_second`,
    `losses/...`, and `<algo>/...` for the rest."""
    if key == return_key:
        return "charts/episodic_return"
    if key in SHARED_TAGS:
        return SHARED_TAGS[key]
    if "loss" in key:
        return f"losses/{key}"
    return f"{algo}/{key}"


class MetricsLog:
    """Appends records; on resume, drops records past the checkpoint so none is doubled."""

    def __init__(
        self,
        jsonl_path: Path,
        tensorboard_dir: Path,
        step_key: str,
        resume_from=None,
        algo: str = "run",
        return_key: str = "",
    ):
        self.path = Path(jsonl_path)
        self.step_key = step_key
        self.algo, self.return_key = algo, return_key
        if resume_from is not None:
            key, last = resume_from
            kept = [r for r in read_metrics(self.path) if r.get(key, 0) < last]
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
            tmp.replace(self.path)
        self._file = open(self.path, "a")  # noqa: SIM115 - lives as long as the log
        SummaryWriter = _summary_writer_class()

        purge = None if resume_from is None else self._purge_step(resume_from)
        self._tb = SummaryWriter(str(tensorboard_dir), purge_step=purge, flush_secs=10)

    def _purge_step(self, resume_from) -> int | None:
        key, last = resume_from
        for record in reversed(read_metrics(self.path)):
            if record.get(key, 0) < last:
                return int(record[self.step_key]) + 1
        return 0

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        step = int(record[self.step_key])
        for key, value in record.items():
            if key != self.step_key and isinstance(value, int | float) and value == value:
                self._tb.add_scalar(tensorboard_tag(key, self.algo, self.return_key), value, step)

    def close(self) -> None:
        self._file.close()
        self._tb.close()
