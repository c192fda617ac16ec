"""DQN: n-step targets, target updates, the replay memory, save/load, learning, CLI and video."""

import json
import re

import imageio.v3 as iio
import numpy as np
import pytest
import torch

from esrl.deeprl.env_batch import make_env_batch
from esrl.deeprl.pipeline import Learner
from esrl.dqn import (
    DQNAgent,
    DQNConfig,
    ReplayBuffer,
    epsilon_at,
    n_step_targets,
    soft_update,
    train_dqn,
)
from esrl.dqn.saved import load_agent

from .conftest import cli, run_cli, snapshot


def test_n_step_targets_stop_at_the_first_terminal_inside_the_window():
    gamma = 0.5
    rewards = torch.tensor([[1.0, 2.0, 4.0], [1.0, 2.0, 4.0], [1.0, 2.0, 4.0]])
    dones = torch.tensor([[False, False, False], [False, True, False], [True, True, False]])
    bootstrap = torch.tensor([8.0, 8.0, 8.0])
    targets = n_step_targets(rewards, dones, bootstrap, gamma)
    expected = [
        1 + 0.5 * 2 + 0.25 * 4 + 0.125 * 8,  # no terminal: all rewards and the bootstrap
        1 + 0.5 * 2,  # terminal at the 2nd step: its reward counts, nothing after
        1,  # terminal at once
    ]
    np.testing.assert_allclose(targets.numpy(), expected)


def test_soft_update_moves_the_target_a_fraction_tau_and_tau_one_copies():
    online, target = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = target.weight.detach().clone()
    soft_update(target, online, 0.01)
    np.testing.assert_allclose(
        target.weight.detach(), 0.01 * online.weight.detach() + 0.99 * before, rtol=1e-6
    )
    soft_update(target, online, 1.0)
    assert torch.equal(target.weight, online.weight)


def test_epsilon_follows_the_notebook_schedule():
    for iteration in (0, 20_000, 100_000):
        expected = 0.01 + 0.45 * np.exp(-iteration / 20_000)
        assert epsilon_at(iteration, 0.46, 0.01, 20_000, "exp") == pytest.approx(expected)
    assert epsilon_at(50, 1.0, 0.1, 100, "linear") == pytest.approx(0.55)
    assert epsilon_at(500, 1.0, 0.1, 100, "linear") == pytest.approx(0.1)


def test_replay_rebuilds_the_envs_stacked_frames_across_game_ends_and_wraps_around():
    nenvs, steps = 2, 900
    env = make_env_batch("Breakout", nenvs, frames="nature")
    replay = ReplayBuffer(2 * 300, nenvs, env.single_observation_space.shape, pixels=True)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    seen, starts, games = [], np.ones(nenvs, bool), 0
    for _ in range(steps):
        actions = rng.integers(0, env.single_action_space.n, nenvs)
        next_obs, reward, terminated, truncated, info = env.step(actions)
        replay.add(obs, actions, reward, terminated | truncated, starts)
        seen.append(obs)
        starts, obs = info["game_over"], next_obs
        games += int(info["game_over"].sum())
    env.close()
    assert games >= 2 and replay.added == steps and len(replay) == 600  # it wrapped
    low, high = replay.valid_range(n=5)
    assert (low, high) == (steps - 300 + 3, steps - 5)
    times = np.arange(low, high + 5)
    for game in range(nenvs):
        rebuilt = replay.observations(times, np.full(len(times), game))
        expected = np.stack([seen[t][game] for t in times])
        np.testing.assert_array_equal(rebuilt, expected)  # every stack, game starts included
    batch = replay.sample(64, 5, np.random.default_rng(1))
    assert batch["obs"].shape == (64, 84, 84, 4) and batch["obs"].dtype == np.uint8
    assert batch["rewards"].shape == batch["dones"].shape == (64, 5)
    assert replay.frames.dtype == np.uint8 and replay.frames.shape == (300, nenvs, 84, 84)


def _small_cartpole(**overrides) -> DQNConfig:
    settings = dict(
        env="CartPole-v1",
        nenvs=4,
        rollout_length=10,
        hidden=(64, 64),
        double_dqn=False,
        reward_scale=0.1,
        eval_games=5,
        learning_starts=1000,
        updates_per_iteration=4,
        batch_size=64,
        learning_rate=1e-3,
        epsilon_schedule="linear",
        epsilon_start=1.0,
        epsilon_end=0.05,
        epsilon_decay=300,
        n_step_return=3,
        target_tau=0.02,
        eval_every=75,
        threads=1,
        log_every=5000,
    )
    return DQNConfig(**{**settings, **overrides})


def _toy_batch() -> dict[str, np.ndarray]:
    obs = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    return {
        "obs": obs,
        "actions": np.arange(16) % 2,
        "rewards": np.ones((16, 3), np.float32),
        "dones": np.zeros((16, 3), bool),
        "next_obs": obs[::-1].copy(),
    }


def test_save_and_load_give_identical_q_values_and_the_same_next_update(tmp_path):
    config = _small_cartpole()
    agent = DQNAgent(config, 2, (4,))
    batch = _toy_batch()
    obs = batch["obs"]
    agent.learn(batch)
    agent.iteration = 123
    agent.save(tmp_path / "agent.pt")
    copy = DQNAgent(_small_cartpole(seed=5), 2, (4,))
    copy.load(tmp_path / "agent.pt")
    with torch.no_grad():
        assert torch.equal(agent.online(obs), copy.online(obs))
        assert torch.equal(agent.target(obs), copy.target(obs))
    assert copy.epsilon == agent.epsilon and copy.iteration == 123
    agent.learn(batch)
    copy.learn(batch)  # optimizer moments came along too: the same step
    with torch.no_grad():
        assert torch.equal(agent.online(obs), copy.online(obs))
    np.testing.assert_array_equal(agent.act(obs)["actions"], copy.act(obs)["actions"])


def _weights(network: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in network.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_pipelined_learner_steps_like_in_line_and_acts_on_the_weights_before_the_last_step():
    batch = _toy_batch()
    in_line = DQNAgent(_small_cartpole(), 2, (4,))
    agent = DQNAgent(_small_cartpole(pipeline=True), 2, (4,))
    learner = Learner(background=True, sync=agent.sync_acting)
    try:
        initial = _weights(agent.online)
        assert learner.learn(lambda: [agent.learn(batch)]) == []  # handed to the worker
        assert len(learner.wait()) == 1
        after_first = _weights(agent.online)
        assert _same(_weights(agent.acting), initial) and not _same(after_first, initial)
        learner.learn(lambda: [agent.learn(batch)])
        learner.wait()
        assert _same(_weights(agent.acting), after_first)  # one step behind, not two
        for _ in range(2):
            in_line.learn(batch)
        assert _same(_weights(agent.online), _weights(in_line.online))  # the same arithmetic
        saved = agent.state()
        copy = DQNAgent(_small_cartpole(pipeline=True), 2, (4,))
        copy.load_state(saved)
        assert _same(_weights(copy.acting), after_first)  # a resumed run acts as it would have
    finally:
        learner.close()


@pytest.mark.slow
def test_pipelined_training_is_reproducible(tmp_path):
    # separate processes: within one, a second run's float sums can round differently
    flags = ["--env", "CartPole-v1", "--nenvs", "4", "--learning-starts", "200"]
    flags += ["--eval-every", "0", "--log-every", "400", "--steps", "1200", "--pipeline"]
    flags += ["--rollout-length", "10", "--updates-per-iteration", "1"]
    states = []
    for name in ("first", "second"):
        done = run_cli("train", "dqn", "--out", str(tmp_path / name), *flags)
        assert done.returncode == 0, done.stderr
        states.append(torch.load(tmp_path / name / "agent.pt", weights_only=False)["agent"])
    assert states[0]["gradient_steps"] == 26  # from the 5th of 30 iterations (200 transitions)
    for key in ("online", "target", "acting"):
        assert all(torch.equal(states[0][key][k], states[1][key][k]) for k in states[0][key])
    assert not all(
        torch.equal(states[0]["online"][k], states[0]["acting"][k]) for k in states[0]["online"]
    )
    _, loaded = load_agent(tmp_path / "first")  # what `esrl eval` (and its --video) plays
    played = loaded.acting.state_dict()
    assert all(torch.equal(played[k], states[0]["online"][k]) for k in played)


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", [False, True])
def test_dqn_learns_cartpole(tmp_path, pipeline):
    config = _small_cartpole(steps=15_000, pipeline=pipeline)
    result = train_dqn(config, tmp_path / "run", log=lambda s: None)
    assert result.scores["eval_score"] >= 150  # random play: about 22


@pytest.mark.slow
def test_cli_resume_keeps_the_schedule_and_the_saved_replay(tmp_path):
    out = tmp_path / "run"
    flags = ["--env", "CartPole-v1", "--nenvs", "4", "--learning-starts", "200"]
    flags += ["--eval-every", "0", "--log-every", "400", "--save-replay"]
    flags += ["--rollout-length", "10", "--updates-per-iteration", "1"]
    first = run_cli("train", "dqn", "--out", str(out), "--steps", "800", *flags)
    assert first.returncode == 0, first.stderr
    saved = torch.load(out / "agent.pt", weights_only=False)
    assert saved["agent"]["iteration"] == 20 and (out / "replay.npz").is_file()
    assert saved["agent"]["gradient_steps"] == 16  # from the 5th iteration (200 transitions)
    resumed = cli("train", "dqn", "--resume", str(out), "--steps", "1600")
    assert resumed.returncode == 0, resumed.stderr
    assert "without a saved replay" not in resumed.stdout
    assert "75.0% done" in resumed.stdout  # toward the new --steps, counting the first run's
    again = torch.load(out / "agent.pt", weights_only=False)
    assert again["agent"]["iteration"] == 40
    assert again["agent"]["gradient_steps"] == 16 + 20  # at once: the replay memory was kept
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["env_steps"] for r in records] == [400, 800, 1200, 1600]
    assert records[-1]["epsilon"] < records[0]["epsilon"]
    before = snapshot(out)
    flags = ["--steps", "3200", "--max-seconds", "0.001"]  # more steps, but no more time
    finished = cli("train", "dqn", "--resume", str(out), *flags)
    assert finished.returncode == 2 and finished.stderr.count("\n") == 1
    assert "already reached its time limit; resume with a larger --max-seconds" in finished.stderr
    assert snapshot(out) == before


@pytest.mark.slow
def test_atari_dqn_evaluates_and_records_a_real_mp4(tmp_path):
    out = tmp_path / "pacman"
    trained = cli(
        "train", "dqn", "--env", "MsPacman", "--nenvs", "2", "--steps", "200",
        "--learning-starts", "100", "--batch-size", "8", "--eval-every", "0", "--out", str(out),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    video = tmp_path / "pacman.mp4"
    evaluated = cli("eval", str(out), "--episodes", "1", "--video", str(video))
    assert evaluated.returncode == 0, evaluated.stderr
    written = int(re.search(r"\((\d+) frames, score", evaluated.stdout).group(1))
    frames = iio.imread(video, index=None)
    assert len(frames) == written > 100  # one frame per agent step plus the first
    assert frames.shape[1:] == (420, 320, 3) and frames.std() > 5
    (out / "learning_curve.png").unlink()
    assert cli("plot", str(out)).returncode == 0 and (out / "learning_curve.png").is_file()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--replay-size", "50"], "--replay-size 50 holds 5 steps per game"),
        (["--target-tau", "2"], "--target-tau must be in [0, 1]"),
        (["--frames", "big"], "invalid choice"),
    ],
)
def test_bad_dqn_input_is_one_line_and_exit_2(tmp_path, flags, message):
    result = cli("train", "dqn", "--out", str(tmp_path / "x"), *flags)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "x").exists()
