"""A2C: the notebook's API (runner, transforms, losses), learning, and the CLI around a run."""

import json
import threading

import numpy as np
import pytest
import torch

from esrl.a2c import (
    A2C,
    A2CConfig,
    ActorCritic,
    ComputeValueTargets,
    EnvRunner,
    MergeTimeBatch,
    Policy,
    train_a2c,
)
from esrl.a2c.optimizer import RMSpropTF
from esrl.deeprl.env_batch import make_env_batch
from esrl.deeprl.pipeline import Learner
from esrl.deeprl.rollout import Rollout
from esrl.envs import nature_dqn_env
from esrl.errors import UserError

from .conftest import cli, run_cli, snapshot


class ConstantValue:
    """A stand-in policy for target arithmetic: v(s) = 10 for every state."""

    def values(self, obs):
        return torch.full((len(obs),), 10.0)


def test_value_targets_stop_at_resets_and_bootstrap_from_the_latest_observation():
    gamma = 0.5
    trajectory = {
        "rewards": [np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([4.0, 0.0])],
        "resets": [np.array([False, False]), np.array([True, False]), np.array([False, False])],
        "state": {"latest_observation": np.zeros((2, 3))},
    }
    ComputeValueTargets(ConstantValue(), gamma)(trajectory)
    targets = torch.stack(trajectory["value_targets"]).numpy()
    # env 0: the episode ends at t=1, so t=0 and t=1 never see t=2 or the bootstrap
    # env 1: no reset, 0 + .5 * (1 + .5 * (0 + .5 * 10))
    expected = np.array(
        [
            [1 + 0.5 * 2, 0 + 0.5 * (1 + 0.5 * (0 + 0.5 * 10))],
            [2, 1 + 0.5 * (0 + 0.5 * 10)],
            [4 + 0.5 * 10, 0 + 0.5 * 10],
        ]
    )
    np.testing.assert_allclose(targets, expected)


def test_merge_time_batch_flattens_time_major_and_leaves_state_alone():
    trajectory = {
        "observations": [np.full((3, 2), t) for t in range(4)],
        "values": [torch.full((3,), float(t)) for t in range(4)],
        "state": {"latest_observation": np.zeros((3, 2))},
    }
    MergeTimeBatch()(trajectory)
    assert trajectory["observations"].shape == (12, 2)
    assert trajectory["values"].shape == (12,)
    np.testing.assert_array_equal(trajectory["observations"][:, 0], np.repeat(np.arange(4), 3))
    assert trajectory["state"]["latest_observation"].shape == (3, 2)


def test_runner_on_nature_dqn_env_gives_the_notebook_trajectory():
    env = nature_dqn_env("SpaceInvadersNoFrameskip-v4", nenvs=2)
    policy = Policy(ActorCritic(env.single_action_space.n), seed=0)
    runner = EnvRunner(env, policy, nsteps=3, seed=0)
    trajectory = runner.get_next()
    env.close()
    keys = {"observations", "rewards", "resets", "actions", "logits", "log_probs", "values"}
    assert keys <= set(trajectory)
    assert all(len(trajectory[k]) == 3 for k in keys)
    obs = trajectory["observations"][0]
    assert obs.shape == (2, 84, 84, 4) and obs.dtype == np.uint8
    assert isinstance(trajectory["actions"][0], np.ndarray)
    assert trajectory["logits"][0].shape == (2, 6)
    assert trajectory["state"]["latest_observation"].shape == (2, 84, 84, 4)
    assert runner.step_var == 6


def _toy_batch(policy: Policy, advantage: float):
    obs = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    acted = policy.act(obs)
    # action 0 turned out `advantage` better than expected, action 1 as much worse
    adv = torch.as_tensor(
        np.where(acted["actions"] == 0, advantage, -advantage), dtype=torch.float32
    )
    with_graph = policy.evaluate(obs, acted["actions"])
    return {**acted, **with_graph, "observations": obs, "value_targets": acted["values"] + adv}


def test_evaluate_recomputes_what_act_returned_with_a_graph():
    torch.manual_seed(0)
    policy = Policy(ActorCritic(6), seed=0)
    obs = np.random.default_rng(0).integers(0, 256, (5, 84, 84, 4), dtype=np.uint8)
    acted = policy.act(obs)
    evaluated = policy.evaluate(obs, acted["actions"])
    assert not acted["values"].requires_grad and evaluated["values"].requires_grad
    for key in ("logits", "log_probs", "values"):
        torch.testing.assert_close(evaluated[key].detach(), acted[key], rtol=1e-5, atol=1e-6)


def _prob_of_action_0(policy: Policy, obs: np.ndarray) -> float:
    logits, _ = policy.model(obs)
    return torch.softmax(logits, -1)[:, 0].mean().item()


@pytest.mark.parametrize("advantage", [1.0, -1.0])
def test_policy_gradient_raises_the_probability_of_better_than_expected_actions(advantage):
    torch.manual_seed(0)
    policy = Policy(ActorCritic(2, (4,)), seed=0)
    batch = _toy_batch(policy, advantage)
    assert 0 < batch["actions"].sum() < 16  # both actions were sampled
    before = _prob_of_action_0(policy, batch["observations"])
    optimizer = torch.optim.SGD(policy.model.parameters(), lr=1.0)
    optimizer.zero_grad()
    A2C(policy, optimizer).policy_loss(batch).backward()
    optimizer.step()
    after = _prob_of_action_0(policy, batch["observations"])
    assert (after - before) * advantage > 1e-3


def _logits_gradient(
    logits: torch.Tensor, batch: dict, behaviour: torch.Tensor | None, truncate: bool = False
):
    """d policy_loss / d logits, for one row of logits shared by the batch's rows."""
    logits = logits.clone().requires_grad_(True)
    log_probs = torch.log_softmax(logits, -1).expand(len(batch["actions"]), -1)
    trajectory = {**batch, "log_probs": log_probs.gather(1, batch["actions"][:, None]).squeeze(1)}
    a2c = A2C(policy=None, optimizer=None, truncate_ratio=truncate)
    a2c.policy_loss(trajectory, behaviour).backward()
    return logits.grad


def test_importance_weighting_cancels_an_advantage_offset_off_policy_and_is_exact_on_it():
    # mu uniform over two actions, each drawn once; pi already prefers action 0; every
    # advantage is the same -1 (values overestimated by one)
    batch = {
        "actions": torch.tensor([0, 1]),
        "values": torch.ones(2),
        "value_targets": torch.zeros(2),
    }
    logits = torch.tensor([[0.5, -0.5]])
    mu = torch.log(torch.full((2,), 0.5))
    plain = _logits_gradient(logits, batch, behaviour=None)
    weighted = _logits_gradient(logits, batch, behaviour=mu)
    # without the ratio a descent step moves pi further from mu: action 0's logit rises
    assert plain[0, 0] < -0.1
    torch.testing.assert_close(weighted, torch.zeros_like(weighted))  # E_mu[pi/mu] = 1
    # on-policy (mu = pi) the weighted loss has the plain loss's gradient
    on_policy = torch.log_softmax(logits, -1)[0, batch["actions"]]
    torch.testing.assert_close(_logits_gradient(logits, batch, behaviour=on_policy), plain)


def test_truncated_ratio_caps_the_weight_at_one_and_keeps_it_below():
    logits = torch.tensor([[0.5, -0.5]])  # pi = (0.73, 0.27); mu uniform
    mu = torch.log(torch.full((1,), 0.5))

    def gradients(action: int) -> tuple[torch.Tensor, ...]:
        batch = {
            "actions": torch.tensor([action]),
            "values": torch.zeros(1),
            "value_targets": torch.ones(1),
        }
        return tuple(
            _logits_gradient(logits, batch, behaviour=b, truncate=t)
            for b, t in ((None, False), (mu, False), (mu, True))
        )

    # action 0: pi/mu = 1.46, so the truncated weight is 1, the plain loss's gradient
    plain, full, truncated = gradients(0)
    torch.testing.assert_close(truncated, plain)
    assert full.abs().sum() > 1.4 * truncated.abs().sum()
    # action 1: pi/mu = 0.54 < 1, so truncation changes nothing
    plain, full, truncated = gradients(1)
    torch.testing.assert_close(truncated, full)
    assert truncated.abs().sum() < 0.6 * plain.abs().sum()


def test_a_saved_config_with_an_unknown_pipeline_ratio_is_refused():
    # argparse checks the flag; a hand-edited config.json reaches only validate()
    with pytest.raises(UserError, match="--pipeline-ratio must be one of truncated, full"):
        A2CConfig(pipeline=True, pipeline_ratio="half").validate()


def test_value_loss_moves_predictions_toward_targets():
    torch.manual_seed(0)
    policy = Policy(ActorCritic(2, (4,)), seed=0)
    batch = _toy_batch(policy, 5.0)
    optimizer = torch.optim.SGD(policy.model.parameters(), lr=0.05)
    a2c = A2C(policy, optimizer)
    before = a2c.value_loss(batch).item()
    a2c.value_loss(batch).backward()
    optimizer.step()
    _, values = policy.model(batch["observations"])
    after = torch.nn.functional.mse_loss(values, batch["value_targets"]).item()
    assert after < before


def test_tf_rmsprop_puts_eps_inside_the_root_and_starts_the_mean_square_at_one():
    weights = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    optimizer = RMSpropTF([weights], lr=0.01, alpha=0.9, eps=1e-5)
    grads = [torch.tensor([0.1, -0.3, 1e-4]), torch.tensor([-0.2, 0.0, 1e-4])]
    expected, mean_square = weights.detach().clone(), torch.ones(3)
    for grad in grads:
        weights.grad = grad.clone()
        optimizer.step()
        mean_square = 0.9 * mean_square + 0.1 * grad**2
        expected -= 0.01 * grad / torch.sqrt(mean_square + 1e-5)
        torch.testing.assert_close(weights.detach(), expected)
    # one small gradient, one step from a fresh state: PyTorch's rule moves ~2.4 lr, TF's ~1e-4 lr
    moves = {}
    for name, rule in (("torch", torch.optim.RMSprop), ("tf", RMSpropTF)):
        weight = torch.tensor([0.5], requires_grad=True)
        weight.grad = torch.tensor([1e-4])
        rule([weight], lr=0.01, alpha=0.9, eps=1e-5).step()
        moves[name] = 0.5 - weight.item()
    assert moves["torch"] > 2 * 0.01 and 0 < moves["tf"] < 2e-4 * 0.01


def test_tf_rmsprop_state_survives_a_checkpoint():
    def run(steps, state=None, first=0):
        torch.manual_seed(0)
        weights = torch.nn.Parameter(torch.randn(5))
        optimizer = RMSpropTF([weights], lr=0.01)
        if state is not None:
            weights.data.copy_(state["weights"])
            optimizer.load_state_dict(state["optimizer"])
        for step in range(first, first + steps):
            weights.grad = torch.full((5,), 0.1 * (step + 1))
            optimizer.step()
        return {"weights": weights.detach().clone(), "optimizer": optimizer.state_dict()}

    halfway = run(2)
    resumed, straight = run(2, halfway, first=2), run(4)
    assert torch.equal(resumed["weights"], straight["weights"])


def test_step_reports_every_diagnostic_of_the_notebook():
    torch.manual_seed(0)
    policy = Policy(ActorCritic(2, (4,)), seed=0)
    batch = _toy_batch(policy, 1.0)
    diagnostics = A2C(policy, torch.optim.RMSprop(policy.model.parameters())).step(batch)
    expected = {"loss", "policy_loss", "value_loss", "entropy", "grad_norm"}
    expected |= {"value_targets", "values", "advantages", "r2"}
    assert set(diagnostics) == expected
    assert diagnostics["entropy"] == pytest.approx(np.log(2), abs=0.01)  # near-uniform start
    expected_advantage = np.where(batch["actions"] == 0, 1.0, -1.0).mean()
    assert diagnostics["advantages"] == pytest.approx(expected_advantage, abs=1e-5)


def _cartpole(**overrides) -> A2CConfig:
    """The learning tests' budget: 60k steps, no entropy bonus, one torch thread, the
    notebook's rollout length and learning rate (not the CartPole preset's)."""
    settings = {"entropy_coef": 0.0, "value_loss_coef": 0.5, "threads": 1, "log_every": 20_000}
    settings |= {"rollout_length": 5, "learning_rate": 7e-4}
    return A2CConfig(env="CartPole-v1", steps=60_000, **{**settings, **overrides})


@pytest.mark.slow
def test_a2c_learns_cartpole_and_is_reproducible(tmp_path):
    config = _cartpole()
    lines: list[str] = []
    result = train_a2c(config, tmp_path / "a", log=lines.append)
    assert result.scores["score_mean100"] >= 120  # random play: about 22
    progress = [line.split("steps/s")[-1] for line in lines if "steps/s" in line]
    assert [p.split("% done")[0].split()[-1] for p in progress] == ["33.3", "66.7", "100.0"]
    assert progress[-1].endswith("100.0% done, 0:00:00 left")
    again = train_a2c(
        A2CConfig(**{**config.__dict__, "steps": 2_000}), tmp_path / "b", log=lambda s: None
    )
    twice = train_a2c(
        A2CConfig(**{**config.__dict__, "steps": 2_000}), tmp_path / "c", log=lambda s: None
    )
    first = torch.load(again.run_dir / "agent.pt", weights_only=True)["model"]
    second = torch.load(twice.run_dir / "agent.pt", weights_only=True)["model"]
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.slow
def test_pipelined_a2c_learns_cartpole_and_is_reproducible(tmp_path):
    result = train_a2c(_cartpole(pipeline=True), tmp_path / "learned", log=lambda s: None)
    assert result.scores["score_mean100"] >= 120  # random play: about 22
    # the two runs compared bit for bit in fresh processes, so nothing but the pipeline's
    # own ordering could differ; the two that must differ, here
    flags = ["--env", "CartPole-v1", "--steps", "2k", "--threads", "1", "--log-every", "1k"]
    models = {}
    runs = {
        "first": (run_cli, ["--pipeline"]),
        "second": (run_cli, ["--pipeline"]),
        "full ratio": (cli, ["--pipeline", "--pipeline-ratio", "full"]),
        "in-line": (cli, []),
    }
    for name, (run, extra) in runs.items():
        done = run("train", "a2c", "--out", str(tmp_path / name), *flags, *extra)
        assert done.returncode == 0, done.stderr
        models[name] = torch.load(tmp_path / name / "agent.pt", weights_only=True)["model"]
    first = models["first"]
    assert all(torch.equal(first[k], models["second"][k]) for k in first)
    # acting one update behind plays other games than acting on the newest weights
    assert not all(torch.equal(first[k], models["in-line"][k]) for k in first)
    # --pipeline alone truncates the ratio: the full one gives other updates
    assert not all(torch.equal(first[k], models["full ratio"][k]) for k in first)


def test_learner_thread_runs_each_round_on_its_worker_with_its_own_thread_count():
    main_threads = torch.get_num_threads()
    release = threading.Event()

    def one_round(name: str) -> list[dict]:
        release.wait(timeout=30)
        here = threading.current_thread().name
        return [{"round": name, "thread": here, "threads": torch.get_num_threads()}]

    learner = Learner(background=True, threads=main_threads + 1)
    try:
        learner.start(lambda: one_round("first"))
        assert not learner.pending.done()  # start returned while the round is held back
        release.set()
        (first,) = learner.wait()
        assert first["thread"].startswith("esrl-learner")
        assert first["threads"] == main_threads + 1 and torch.get_num_threads() == main_threads
        learner.start(lambda: one_round("second"))
        assert [d["round"] for d in learner.wait()] == ["second"] and learner.wait() == []
    finally:
        learner.close()
    in_line = Learner(background=False)
    in_line.start(lambda: one_round("now"))
    assert in_line.wait()[0]["thread"] == threading.current_thread().name


@pytest.mark.slow
@pytest.mark.parametrize("split", [False, True])
def test_game_scores_count_whole_games_not_lives(split):
    env = make_env_batch("Breakout", 4, split=split)
    policy = Policy(ActorCritic(env.single_action_space.n), seed=0)
    runner = EnvRunner(env, policy, nsteps=50, seed=0)
    resets = 0
    with torch.no_grad():
        while runner.games < 4:
            resets += int(np.sum(runner.get_next()["resets"]))
    env.close()
    assert resets >= 4 * runner.games  # five lives a game: a training terminal for each
    assert max(runner.game_scores) >= 1  # raw scores of whole games


@pytest.mark.slow
def test_cli_trains_resumes_evaluates_records_and_plots(tmp_path):
    out = tmp_path / "run"
    common = ["--env", "CartPole-v1", "--log-every", "1k", "--threads", "1"]
    first = run_cli("train", "a2c", "--out", str(out), "--steps", "2k", *common)
    assert first.returncode == 0, first.stderr
    saved = torch.load(out / "agent.pt", weights_only=True)
    assert saved["env_steps"] >= 2000
    resumed = cli("train", "a2c", "--resume", str(out), "--steps", "4k")
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r["env_steps"] for r in records]
    assert steps == sorted(set(steps)) and steps[-1] >= 4000
    assert torch.load(out / "agent.pt", weights_only=True)["updates"] > saved["updates"]
    before = snapshot(out)
    finished = cli("train", "a2c", "--resume", str(out))  # at its 4k steps already
    assert finished.returncode == 2 and finished.stderr.count("\n") == 1
    assert "already reached its step limit; resume with a larger --steps" in finished.stderr
    assert snapshot(out) == before
    video = tmp_path / "a2c.mp4"
    evaluated = cli("eval", str(out), "--episodes", "3", "--video", str(video))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "over 3 episodes" in evaluated.stdout and video.stat().st_size > 1000
    (out / "learning_curve.png").unlink()
    plotted = cli("plot", str(out))
    assert plotted.returncode == 0 and (out / "learning_curve.png").stat().st_size > 10_000
    bad = cli("train", "a2c", "--resume", str(out), "--nenvs", "4")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "nenvs" in bad.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--nenvs", "0"], "--nenvs must be positive"),
        (["--gamma", "1.5"], "--gamma must be in [0, 1]"),
        (["--rmsprop", "keras"], "invalid choice: 'keras'"),
        (["--pipeline", "--pipeline-ratio", "half"], "invalid choice: 'half'"),
        (["--steps", "ten"], "expected an integer"),
        (["--env", "NoSuchGame-v9"], "unknown environment"),
    ],
)
def test_bad_a2c_input_is_one_line_and_exit_2(tmp_path, flags, message):
    result = cli("train", "a2c", "--out", str(tmp_path / "x"), *flags)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_atari_a2c_runs_end_to_end_and_plays_its_video(tmp_path):
    out = tmp_path / "breakout"
    result = cli(
        "train", "a2c", "--env", "Breakout", "--nenvs", "2", "--steps", "200", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    video = tmp_path / "breakout.mp4"
    evaluated = cli("eval", str(out), "--episodes", "1", "--video", str(video))
    assert evaluated.returncode == 0, evaluated.stderr
    import imageio.v3 as iio

    frames = iio.imread(video, index=None)
    assert frames.shape[1:] == (420, 320, 3) and len(frames) > 50


def test_rollout_answers_the_notebooks_item_access_on_its_fields():
    rollout = Rollout(observations=[np.zeros((2, 3))], actions=[np.array([0, 1])])
    rollout["values"] = [torch.zeros(2)]  # what a policy or transform adds goes to `extra`
    assert rollout["observations"] is rollout.observations
    assert rollout.extra["values"] is rollout["values"]
    assert "game_over" not in rollout and "values" in rollout
    with pytest.raises(KeyError):
        rollout["game_over"]
    MergeTimeBatch()(rollout)
    assert rollout.observations.shape == (2, 3) and rollout.extra["values"].shape == (2,)
