"""Bad input: one line on stderr, exit code 2, no traceback, and no run file changed."""

import pytest

import esrl
from esrl.errors import NonFiniteReturnError
from esrl.runs import load_checkpoint

from .conftest import SMALL_NOISE, cli, snapshot


def _assert_clean_error(result, fragment):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--env", "NoSuchEnv-v0"], "unknown environment"),
        (["--env", "FrozenLake-v1"], "1-D Box"),
        (["--population", "0"], "--population must be positive"),
        (["--population", "7"], "must be even"),
        (["--sigma", "-0.1"], "--sigma must be positive"),
        (["--learning-rate", "0"], "--learning-rate must be positive"),
        (["--hidden", "16,x"], "comma-separated integers"),
        (["--backend", "gpu"], "invalid choice"),
        (["--top-directions", "40"], "exceeds the 32 pairs"),
        (["--engine", "envpool", "--env", "esrl-test/Unknown-v0"], "unknown environment"),
        (["--fitness", "raw"], "invalid choice"),
    ],
)
def test_bad_training_input_is_refused_before_anything_is_written(tmp_path, args, fragment):
    out = tmp_path / "new"
    _assert_clean_error(cli("train", "es", "--out", str(out), *args), fragment)
    assert not out.exists()


def test_out_pointing_at_an_existing_run_is_refused(small_run):
    before = snapshot(small_run)
    _assert_clean_error(cli("train", "es", "--out", str(small_run)), "already exists")
    assert snapshot(small_run) == before


def test_resume_with_another_env_is_refused(small_run):
    before = snapshot(small_run)
    result = cli("train", "es", "--resume", str(small_run), "--env", "Pendulum-v1")
    _assert_clean_error(result, "env='CartPole-v1'")
    assert snapshot(small_run) == before


def test_resuming_a_run_at_its_limit_asks_for_a_larger_one(small_run):
    before = snapshot(small_run)  # stopped at its 2 generations
    result = cli("train", "es", "--resume", str(small_run))
    _assert_clean_error(result, "already reached its generation limit")
    assert "--generations" in result.stderr
    assert snapshot(small_run) == before


@pytest.mark.parametrize("command", [["train", "es", "--resume"], ["eval"]])
def test_missing_and_corrupt_checkpoints(small_run, tmp_path, command):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((small_run / "config.json").read_text())
    never_saved = "never saved a checkpoint" if command[0] == "train" else "no checkpoint"
    _assert_clean_error(cli(*command, str(broken)), never_saved)
    (broken / "checkpoint.npz").write_bytes(b"not a zip file")
    before = snapshot(broken)
    _assert_clean_error(cli(*command, str(broken)), "corrupt")
    assert snapshot(broken) == before


def test_a_directory_that_is_not_a_run(tmp_path):
    _assert_clean_error(cli("eval", str(tmp_path)), "not a run directory")
    _assert_clean_error(cli("eval", str(tmp_path), "--episodes", "0"), "--episodes")


# gymnasium's env checker warns about the NaN rewards this test injects on purpose.
@pytest.mark.filterwarnings("ignore:.*reward is a NaN value:UserWarning")
def test_non_finite_returns_are_reported_not_folded_into_an_update(tmp_path):
    import gymnasium as gym

    class NaNReward(gym.Wrapper):
        def step(self, action):
            obs, _, terminated, truncated, info = self.env.step(action)
            return obs, float("nan"), terminated, truncated, info

    gym.register(
        "esrl-test/NaNCartPole-v0",
        entry_point=lambda **kw: NaNReward(gym.make("CartPole-v1", **kw)),
        max_episode_steps=50,
    )
    config = esrl.ESConfig(
        env="esrl-test/NaNCartPole-v0",
        noise_size=SMALL_NOISE,
        generations=3,
        target_return=float("inf"),
    )
    with pytest.raises(NonFiniteReturnError, match="non-finite episode return"):
        esrl.train_es(config, tmp_path / "nan", log=lambda s: None)
    _, meta = load_checkpoint(tmp_path / "nan" / "checkpoint.npz")
    assert meta["generation"] == 0  # only the start was saved: no update was made
