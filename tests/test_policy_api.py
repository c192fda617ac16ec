"""`esrl.load_policy` for every algorithm: acts in a plain gymnasium loop and plays the
games the run's own evaluation plays."""

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

import esrl
from esrl.es.evaluation import FINAL_STREAM, seed_from

from .conftest import SMALL_NOISE


def _train(algo: str, out):
    if algo == "es":
        config = esrl.ESConfig(noise_size=SMALL_NOISE, generations=3, target_return=float("inf"))
        return esrl.train_es(config, out, log=lambda s: None)
    if algo == "a2c":
        from esrl.a2c.config import A2CConfig
        from esrl.a2c.trainer import train_a2c

        return train_a2c(A2CConfig(env="CartPole-v1", nenvs=4, steps=2000), out, log=print)
    from esrl.dqn.config import DQNConfig
    from esrl.dqn.trainer import train_dqn

    config = DQNConfig(env="CartPole-v1", nenvs=4, steps=2000, learning_starts=200)
    return train_dqn(config, out, log=print)


def _episode_seed(algo: str, seed: int, episode: int) -> int:
    """The reset seed of the run's own evaluation: ES seeds each episode from (seed,
    stream, episode); A2C and DQN play a vector env reset with `seed` (env i: seed + i)."""
    return seed_from(seed, 0, FINAL_STREAM, episode) if algo == "es" else seed + episode


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["es", "a2c", "dqn"])
def test_load_policy_plays_the_runs_own_evaluation_in_a_gymnasium_loop(tmp_path, algo):
    run = _train(algo, tmp_path / algo).run_dir
    policy = esrl.load_policy(run)
    returns = []
    for episode in range(3):
        env = gym.make("CartPole-v1")
        obs, _ = env.reset(seed=_episode_seed(algo, 5, episode))
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(int(policy.act(obs)))
            total, done = total + reward, terminated or truncated
        returns.append(total)
    module = {"es": "esrl.es.saved", "a2c": "esrl.a2c.saved", "dqn": "esrl.dqn.saved"}[algo]
    evaluate_run = __import__(module, fromlist=["evaluate_run"]).evaluate_run
    own = evaluate_run(run, 3, seed=5, log=lambda s: None, deterministic=True)
    np.testing.assert_array_equal(own, returns)
    probe = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    batch = policy.act(probe)  # a batch of observations too
    assert batch.shape == (64,) and set(batch.tolist()) <= {0, 1}
    # a run trained with --device cuda plays anywhere: on the CPU where there is no GPU
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["device"] = "cuda"
    (run / "config.json").write_text(json.dumps(saved))
    np.testing.assert_array_equal(esrl.load_policy(run).act(probe), batch)
    # an export plays alike, holds only the policy's weights, and does not resume
    from .conftest import cli

    shared = tmp_path / "shared"
    done = cli("export", str(run), str(shared))
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(esrl.load_policy(shared).act(probe), batch)
    weights = "checkpoint.npz" if algo == "es" else "agent.pt"
    assert (shared / weights).stat().st_size <= (run / weights).stat().st_size
    if algo != "es":
        assert (shared / weights).stat().st_size < (run / weights).stat().st_size / 2
        refused = cli("train", algo, "--resume", str(shared))
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    again = cli("export", str(run), str(shared))
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.parametrize("algo", ["a2c", "dqn"])
def test_scale_obs_rescales_from_the_bounds_and_survives_save_and_load(tmp_path, algo):
    from .conftest import cli

    args = ["train", algo, "--env", "MountainCar-v0", "--scale-obs", "--steps", "400"]
    args += ["--learning-starts", "100"] if algo == "dqn" else []
    done = cli(*args, "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    policy = esrl.load_policy(tmp_path / "r")
    network = policy.agent.online if algo == "dqn" else policy.policy.model
    rescale = next(m for m in network.modules() if type(m).__name__ == "Rescale")
    space = gym.make("MountainCar-v0").observation_space
    ends = rescale(torch.as_tensor(np.stack([space.low, space.high]), device=rescale.scale.device))
    np.testing.assert_allclose(ends.cpu().numpy(), [[-1, -1], [1, 1]], atol=1e-6)
    assert policy.act(space.high).shape == ()

    refused = cli(
        "train", algo, "--env", "CartPole-v1", "--scale-obs", "--out", str(tmp_path / "c")
    )
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "--scale-obs" in refused.stderr and not (tmp_path / "c").exists()
