"""TensorBoard tags: runs of every algorithm share the chart tags, so they overlay."""

import struct
from pathlib import Path

import pytest
from tensorboardX.proto.event_pb2 import Event

import esrl
from esrl.metrics.log import tensorboard_tag

from .conftest import SMALL_NOISE


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
    from esrl.a2c.config import A2CConfig
    from esrl.a2c.trainer import train_a2c
    from esrl.dqn.config import DQNConfig
    from esrl.dqn.trainer import train_dqn

    quiet = lambda line: None  # noqa: E731
    es = esrl.ESConfig(noise_size=SMALL_NOISE, generations=2)
    esrl.train_es(es, tmp_path / "es", log=quiet)
    a2c = A2CConfig(env="CartPole-v1", nenvs=4, steps=400, log_every=200)
    train_a2c(a2c, tmp_path / "a2c", log=quiet)
    dqn = DQNConfig(env="CartPole-v1", nenvs=4, steps=400, learning_starts=100)
    train_dqn(dqn, tmp_path / "dqn", log=quiet)
    shared = {"charts/episodic_return", "charts/steps_per_second"}
    for algo in ("es", "a2c", "dqn"):
        tags = _tags(tmp_path / algo / "tensorboard")
        assert shared <= tags, (algo, tags)
        assert all("/" in tag for tag in tags)
        assert any(tag.startswith(f"{algo}/") for tag in tags)
