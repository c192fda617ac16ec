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
    """`A2CConfig(env="CartPole-v1")` with no other field (the CLI builds the same
    config): the preset's 100k-step budget reaches a 100-game mean of 475 (seed 0);
    config.json shows it and a resume keeps it."""
    import json

    from esrl.a2c.trainer import resume_a2c, train_a2c
    from esrl.metrics import read_metrics

    out = tmp_path / "a2c"
    train_a2c(A2CConfig(env="CartPole-v1"), out, log=lambda line: None)
    saved = json.loads((out / "config.json").read_text())["config"]
    assert (saved["learning_rate"], saved["rollout_length"], saved["steps"]) == (4e-3, 16, 100_000)
    assert max(r["score_mean100"] for r in read_metrics(out / "metrics.jsonl")) >= 475
    resume_a2c(out, {"steps": 102_000}, log=lambda line: None)
    assert json.loads((out / "config.json").read_text())["config"] == {**saved, "steps": 102_000}


@pytest.mark.slow
def test_dqn_preset_learns_cartpole_on_a_small_budget(tmp_path):
    """The DQN preset's 100k-step run is a benchmark (bench/presets.py); here its first
    evaluation, after 100 iterations (6,400 steps)."""
    from esrl.dqn.trainer import train_dqn

    result = train_dqn(DQNConfig(env="CartPole-v1", steps=6400), tmp_path / "dqn", log=print)
    assert result.scores["eval_score"] >= 100  # random play: about 22


@pytest.mark.parametrize(
    ("algo", "cls", "env", "field", "tuned"),
    [
        ("dqn", DQNConfig, "Acrobot-v1", "learning_rate", 6.3e-4),
        ("dqn", DQNConfig, "MountainCar-v0", "gamma", 0.98),
        ("a2c", A2CConfig, "Acrobot-v1", "nenvs", 16),
        ("a2c", A2CConfig, "Acrobot-v1", "steps", 200_000),
    ],
)
def test_family_presets_apply_alike_from_the_cli_and_the_api_under_given_flags(
    algo, cls, env, field, tuned
):
    parser = build_parser()
    from_cli = cls(**given_values(parser.parse_args(["train", algo, "--env", env]), cls))
    assert from_cli == cls(env=env)
    assert getattr(from_cli, field) == tuned != getattr(cls(env="CartPole-v1"), field)
    flag = "--" + field.replace("_", "-")
    overridden = given_values(parser.parse_args(["train", algo, "--env", env, flag, "3"]), cls)
    assert getattr(cls(**overridden), field) == 3
