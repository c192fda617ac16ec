"""TensorBoard tags: runs of every algorithm share the chart tags, so they overlay."""

import struct
from pathlib import Path

import pytest
from tensorboardX.proto.event_pb2 import Event

from esrl.metrics.log import tensorboard_tag

from .conftest import SMALL_NOISE, run_cli


def _tags(tensorboard_dir: Path) -> set[str]:
    """Scalar tags in a run's event files (TFRecord: length, crc, event, crc)."""
    tags = set()
    for path in tensorboard_dir.iterdir():
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack_from("<Q", data, offset)
            event = Event.FromString(data[offset + 12 : offset + 12 + length])
            tags.update(value.tag for value in event.summary.value)
            offset += 12 + length + 4
    return tags


def test_tags_are_namespaced_with_one_episodic_return():
    assert tensorboard_tag("eval_return", "es", "eval_return") == "charts/episodic_return"
    assert tensorboard_tag("steps_per_second", "dqn", "score_mean100") == (
        "charts/steps_per_second"
    )
    assert tensorboard_tag("value_loss", "a2c", "score_mean100") == "losses/value_loss"
    assert tensorboard_tag("epsilon", "dqn", "score_mean100") == "dqn/epsilon"


@pytest.mark.slow
def test_es_a2c_and_dqn_runs_write_the_same_chart_tags(tmp_path):
    runs = {
        "es": ["--noise-size", str(SMALL_NOISE), "--generations", "2"],
        "a2c": ["--nenvs", "4", "--steps", "400", "--log-every", "200"],
        "dqn": ["--nenvs", "4", "--steps", "400", "--learning-starts", "100"],
    }
    shared = {"charts/episodic_return", "charts/steps_per_second"}
    for algo, flags in runs.items():
        out = tmp_path / algo
        done = run_cli("train", algo, "--env", "CartPole-v1", "--out", str(out), *flags)
        assert done.returncode == 0, done.stderr
        tags = _tags(out / "tensorboard")
        assert shared <= tags, (algo, tags)
        assert all("/" in tag for tag in tags)
        assert any(tag.startswith(f"{algo}/") for tag in tags)
