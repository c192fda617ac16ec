"""MuJoCo locomotion: the preset, the engines, layout independence and a run end to end."""

import dataclasses

import numpy as np
import pytest

import esrl
from esrl.es.config import ARS_PRESET, MUJOCO_PRESET, ESConfig
from esrl.es.evaluation import build_policy

from .conftest import SMALL_NOISE, cli, small_hopper

SHAPES = {  # observation size, action size (gymnasium v5 defaults)
    "HalfCheetah-v5": (17, 6),
    "Hopper-v5": (11, 3),
    "Walker2d-v5": (17, 6),
    "Ant-v5": (105, 8),
    "Humanoid-v5": (348, 17),
    "Swimmer-v5": (8, 2),
}


@pytest.mark.parametrize("env", sorted(SHAPES))
def test_observation_and_action_shapes(env):
    policy = build_policy(ESConfig(env=env))
    obs_dim, act_dim = SHAPES[env]
    assert policy.obs_dim == obs_dim and policy.head.num_outputs == act_dim
    assert not policy.head.discrete
    prepared = policy.prepare(policy.init_params(np.random.default_rng(0)))
    action = policy.act(prepared, np.zeros((1, obs_dim), np.float32))[0]
    assert action.shape == (act_dim,) and np.all(np.abs(action) <= 1.0 + 1e-6)


def test_preset_applies_the_same_from_python_and_the_cli(tmp_path):
    config = ESConfig(env="HalfCheetah-v5")
    for name, value in MUJOCO_PRESET.items():
        assert getattr(config, name) == value, name
    assert config.target_return == 3430.0  # the ARS paper's threshold
    assert config.length_bonus == 0.0  # HalfCheetah pays nothing for staying alive
    assert ESConfig(env="Hopper-v5").length_bonus == -1.0  # ranking removes Hopper's
    assert ESConfig(env="Humanoid-v5").length_bonus == -5.0
    ant = ESConfig(env="Ant-v5")  # ARS's linear policy and top directions on top
    assert all(getattr(ant, name) == value for name, value in ARS_PRESET.items())
    assert ant.hidden == () and ant.obs_norm and ant.length_bonus == -1.0
    assert ESConfig(env="HalfCheetah-v5", population=8).population == 8  # a field given wins
    assert ESConfig(env="CartPole-v1").hidden == (16,)  # no preset: the class defaults
    assert ESConfig(env="pong").frame_skip == 8  # the Atari preset, as the CLI applies it
    # replace() and saved configs pass every field: a preset is never applied twice
    assert dataclasses.replace(config, env="CartPole-v1").hidden == (64, 64)

    out = tmp_path / "cli"
    result = cli(
        "train", "es", "--env", "Hopper-v5", "--population", "4", "--generations", "1",
        "--episode-steps", "20", "--target-episodes", "2", "--noise-size", str(SMALL_NOISE),
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from esrl.runs import RunDir

    saved = RunDir.open(out).read_config("es", ESConfig)
    expected = ESConfig(
        env="Hopper-v5", population=4, generations=1, episode_steps=20, target_episodes=2,
        noise_size=SMALL_NOISE,
    )  # fmt: skip
    assert saved == expected


def test_backends_and_worker_counts_agree_bitwise(tmp_path):
    serial = esrl.train_es(small_hopper(backend="serial"), tmp_path / "s", log=lambda s: None)
    for workers in (2, 3):
        other = esrl.train_es(
            small_hopper(backend="process", workers=workers), tmp_path / f"p{workers}", log=print
        )
        np.testing.assert_array_equal(
            esrl.load_params(other.run_dir), esrl.load_params(serial.run_dir)
        )
        assert other.scores["final_return"] == serial.scores["final_return"]
    assert serial.scores["final_return"] != 0.0


@pytest.mark.slow
def test_a_short_run_trains_evaluates_and_records(tmp_path):
    out = tmp_path / "cheetah"
    result = esrl.train_es(
        dataclasses.replace(small_hopper(), env="HalfCheetah-v5", generations=2),
        out,
        log=lambda s: None,
    )
    assert result.iterations == 2 and result.env_steps > 0
    # the video of a Hopper run: an untrained hopper falls within a few hundred frames
    hopper = tmp_path / "hopper"
    esrl.train_es(dataclasses.replace(small_hopper(), generations=2), hopper, log=lambda s: None)
    video = tmp_path / "walk.mp4"
    shown = cli("eval", str(hopper), "--episodes", "2", "--video", str(video))
    assert shown.returncode == 0, shown.stderr
    assert "mean return" in shown.stdout.splitlines()[-1]
    assert video.stat().st_size > 1000
    # esrl eval plays the episodes gymnasium.make(id) gives: same return as a plain loop
    import gymnasium as gym

    from esrl.es.evaluation import FINAL_STREAM, seed_from

    policy = esrl.load_policy(out)
    env = gym.make("HalfCheetah-v5")
    obs, _ = env.reset(seed=seed_from(7, 0, FINAL_STREAM, 0))
    total, steps, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy.act(obs))
        total, steps, done = total + reward, steps + 1, terminated or truncated
    assert steps == 1000  # whole episodes, though training capped them at 60 steps
    from esrl.es.saved import evaluate_run

    returns = evaluate_run(out, 1, seed=7, log=lambda s: None)
    assert returns[0] == pytest.approx(total, rel=1e-9)
