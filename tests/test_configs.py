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
