"""The A2C training loop: collect T steps in N envs, compute targets, one RMSProp step; repeat.

Read top to bottom: `train_a2c` starts a run, `resume_a2c` continues one from its
directory, and both hand an `A2CRun` (one update per `iterate`) to the run skeleton
`esrl.runs.loop.run_loop`. A checkpoint (agent.pt) holds the network,
the optimizer, the sampling generator, the counters and the last 100 game scores;
games in progress are not saved, so a resumed run starts fresh games.

With `pipeline`, each update runs on a worker thread (`esrl.deeprl.pipeline`) while the
envs play the next trajectory on a copy of the weights from before it; that
trajectory then reaches its own update one update behind, so its acting
log-probabilities go along and `A2C.policy_loss` weights by pi / mu.
"""

import copy
from collections.abc import Callable
from pathlib import Path

import torch

from esrl.a2c.algorithm import A2C
from esrl.a2c.config import A2CConfig
from esrl.a2c.model import ActorCritic
from esrl.a2c.optimizer import make_rmsprop
from esrl.a2c.policy import Policy
from esrl.a2c.transforms import ComputeValueTargets, MergeTimeBatch
from esrl.deeprl.env_batch import make_env_batch
from esrl.deeprl.networks import require_weights_finite
from esrl.deeprl.networks.bodies import device_of, observation_bounds
from esrl.deeprl.pipeline import Learner
from esrl.deeprl.resume import checkpoint_fits, resume_torch_run
from esrl.deeprl.run import LearnerRun
from esrl.deeprl.runner import EnvRunner
from esrl.device import resolve_device
from esrl.envs.vector import seed_from
from esrl.metrics.plots import plot_a2c_diagnostics
from esrl.runs import RunDir, save_torch_state
from esrl.runs.loop import Diagnostics, Limits, TrainResult, run_loop
from esrl.threads import TorchThreads

ALGO = "a2c"


def build_agent(config: A2CConfig, env) -> tuple[ActorCritic, Policy, torch.optim.Optimizer]:
    torch.manual_seed(config.seed)  # the network's initial weights
    space = env.single_observation_space
    bounds = observation_bounds(space) if config.scale_obs else None
    model = ActorCritic(int(env.single_action_space.n), space.shape, config.hidden, bounds).to(
        resolve_device(config.device)
    )  # created on the CPU: the same initial weights
    policy = Policy(model, seed=config.seed)
    optimizer = make_rmsprop(
        config.rmsprop,
        model.parameters(),
        lr=config.learning_rate,
        alpha=config.rms_alpha,
        eps=config.rms_eps,
    )
    return model, policy, optimizer


def _make_env(config: A2CConfig):
    return make_env_batch(
        config.env, config.nenvs, frame_size=config.frame_size, split=config.overlap
    )


def train_a2c(
    config: A2CConfig, out: Path | str | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Start a new run in `out` (default: runs/a2c-ENV-seedN-TIME)."""
    config.validate()
    path = RunDir.new_path(out, ALGO, config.env, config.seed)
    env = _make_env(config)  # a clear error for a bad env before anything is written
    _, policy, optimizer = build_agent(config, env)  # and for bad --scale-obs
    with RunDir.create(path, ALGO, config) as run:
        return run_loop(A2CRun(config, run, env, policy, optimizer, state=None), run, log)


def resume_a2c(
    run_dir: Path | str, overrides: dict | None = None, log: Callable[[str], None] = print
) -> TrainResult:
    """Continue a run from its last checkpoint (only `resumable` fields may change)."""
    with resume_torch_run(run_dir, ALGO, A2CConfig, overrides, STATE_KEYS) as (run, config, state):
        env = _make_env(config)
        model, policy, optimizer = build_agent(config, env)
        with checkpoint_fits(run):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            policy.generator.set_state(state["generator"])
        run.write_config(ALGO, config)
        a2c = A2CRun(config, run, env, policy, optimizer, state=state)
        return run_loop(a2c, run, log, resumed_seconds=state["seconds"])


STATE_KEYS = (
    "model",
    "optimizer",
    "generator",
    "env_steps",
    "updates",
    "seconds",
    "game_scores",
    "games",
)


class A2CRun(LearnerRun):
    """One update per iteration: the envs play `rollout_length` steps, then one RMSProp step."""

    name = ALGO

    iteration_name = "update"

    def __init__(
        self,
        config: A2CConfig,
        run: RunDir,
        env,
        policy: Policy,
        optimizer: torch.optim.Optimizer,
        state: dict | None,
    ):
        self.config, self.env, self.policy, self.optimizer = config, env, policy, optimizer
        self.agent_path = run.agent_path
        self.limits = Limits(config.steps, config.max_seconds)
        self.log_every, self.checkpoint_seconds = config.log_every, config.checkpoint_seconds
        self.threads = TorchThreads()
        learner_threads = config.threads or torch.get_num_threads()
        acting = policy  # what the envs play: with `pipeline`, a copy refreshed between updates
        sync = None
        if config.pipeline:
            self.threads.set(1)  # acting on one thread beside the learner's
            acting = Policy(copy.deepcopy(policy.model).requires_grad_(False))
            acting.generator = policy.generator  # one sampling stream, saved with checkpoints
            sync = lambda: acting.model.load_state_dict(policy.model.state_dict())  # noqa: E731
        elif config.threads:
            self.threads.set(config.threads)
        step_var = state["env_steps"] if state else 0
        self.iterations = state["updates"] if state else 0
        self.runner = EnvRunner(
            env,
            acting,
            config.rollout_length,
            transforms=[ComputeValueTargets(acting, config.gamma), MergeTimeBatch()],
            step_var=step_var,
            seed=seed_from(config.seed, step_var),  # a resumed run starts new games
        )
        if state:
            self.runner.game_scores.extend(state["game_scores"])
            self.runner.games = state["games"]
        self.a2c = A2C(
            policy,
            optimizer,
            config.value_loss_coef,
            config.entropy_coef,
            config.max_grad_norm,
            truncate_ratio=config.pipeline_ratio == "truncated",
        )
        self.learner = Learner(config.pipeline, learner_threads, sync)

    def describe(self) -> str:
        config = self.config
        num_params = sum(p.numel() for p in self.policy.model.parameters())
        return (
            f"esrl a2c on {config.env}: {num_params} params, {config.nenvs} envs x "
            f"{config.rollout_length} steps, on {device_of(self.policy.model)}"
        )

    def iterate(self) -> Diagnostics:
        done = self.runner.step_var / self.config.steps  # where this trajectory starts
        learning_rate = self.config.learning_rate * max(1.0 - done, 0.0)
        rollout = self.runner.get_next()
        # pipelined, the rollout was played by the weights from before the update in flight
        behaviour = rollout["log_probs"] if self.config.pipeline else None

        def update() -> Diagnostics:
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate
            return [self.a2c.step(rollout, behaviour)]

        self.iterations += 1
        return self.learner.learn(update)

    def record(self) -> dict:
        return {
            "updates": self.iterations,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "score_mean100": self.score_mean100(),
            "games": self.runner.games,
        }

    def format(self, r: dict) -> str:
        return (
            f"steps {r['env_steps']:>11,}  score(100) {r['score_mean100']:8.1f}  "
            f"games {r['games']:5d}  entropy {r['entropy']:.2f}  r2 {r['r2']:5.2f}  "
            f"value loss {r['value_loss']:.3f}  {r['steps_per_second']:6.0f} steps/s  "
            f"{r['seconds']:7.1f} s"
        )

    def save(self, seconds: float) -> None:
        require_weights_finite(self.policy.model, f"after {self.iterations:,} updates, a weight")
        save_torch_state(
            self.agent_path,
            {
                "model": self.policy.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "generator": self.policy.generator.get_state(),
                "env_steps": self.runner.step_var,
                "updates": self.iterations,
                "seconds": seconds,
                "game_scores": list(self.runner.game_scores),
                "games": self.runner.games,
            },
        )

    def summary(self) -> str:
        scores = self.runner.game_scores
        return f"mean raw score of the last {len(scores)} games {self.score_mean100():.1f}"

    def scores(self) -> dict[str, float]:
        return {"score_mean100": self.score_mean100(), "games": self.runner.games}

    def plot(self, records: list[dict], path: Path) -> None:
        plot_curve(self.config, records, path)


def plot_curve(config: A2CConfig, records: list[dict], path: Path) -> None:
    plot_a2c_diagnostics(records, path, f"A2C on {config.env} (seed {config.seed})")
