"""Config fields as flags: renamed fields keep their old flag and saved key."""

import pytest

from esrl.a2c.config import A2CConfig
from esrl.cli.config_args import given_values
from esrl.cli.main import build_parser
from esrl.configs import from_dict
from esrl.dqn.config import DQNConfig
from esrl.es.config import ESConfig


@pytest.mark.parametrize(
    ("algo", "cls", "old", "new", "field"),
    [
        ("es", ESConfig, "--max-env-steps", "--steps", "steps"),
        ("a2c", A2CConfig, "--nsteps", "--rollout-length", "rollout_length"),
        ("dqn", DQNConfig, "--seq-length", "--rollout-length", "rollout_length"),
        ("dqn", DQNConfig, "--n-steps", "--n-step-return", "n_step_return"),
    ],
)
def test_old_flag_spellings_set_the_renamed_field(algo, cls, old, new, field):
    parser = build_parser()
    for flag in (old, new):
        args = parser.parse_args(["train", algo, flag, "7"])
        assert given_values(args, cls) == {field: 7}


def test_saved_configs_with_old_keys_load_under_the_new_names():
    assert from_dict(ESConfig, {"env": "CartPole-v1", "max_env_steps": 9}).steps == 9
    dqn = from_dict(DQNConfig, {"env": "CartPole-v1", "seq_length": 3, "n_steps": 2})
    assert (dqn.rollout_length, dqn.n_step_return) == (3, 2)
    assert from_dict(A2CConfig, {"env": "CartPole-v1", "nsteps": 4}).rollout_length == 4


@pytest.mark.slow
def test_a2c_preset_learns_cartpole_and_round_trips_through_config_json(tmp_path):
    """`esrl train a2c --env CartPole-v1` with only a budget: the preset reaches a 100-game
    mean of 475 within 100k steps (seed 0); config.json shows it and a resume keeps it."""
    import json

    from esrl.metrics import read_metrics

    from .conftest import run_cli

    out = tmp_path / "a2c"
    done = run_cli("train", "a2c", "--env", "CartPole-v1", "--steps", "100k", "--out", str(out))
    assert done.returncode == 0, done.stderr
    saved = json.loads((out / "config.json").read_text())["config"]
    assert (saved["learning_rate"], saved["rollout_length"]) == (4e-3, 16)
    assert max(r["score_mean100"] for r in read_metrics(out / "metrics.jsonl")) >= 475
    resumed = run_cli("train", "a2c", "--resume", str(out), "--steps", "102k")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "config.json").read_text())["config"] == {**saved, "steps": 102_000}


@pytest.mark.slow
def test_dqn_preset_learns_cartpole_on_a_small_budget(tmp_path):
    """The DQN preset's 100k-step run is a benchmark (bench/presets.py); here 15k steps."""
    out = tmp_path / "dqn"
    from .conftest import run_cli

    done = run_cli("train", "dqn", "--env", "CartPole-v1", "--steps", "15k", "--out", str(out))
    assert done.returncode == 0, done.stderr
    from esrl.metrics import read_metrics

    assert read_metrics(out / "metrics.jsonl")[-1]["eval_score"] >= 150  # random: about 22
