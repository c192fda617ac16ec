import signal
import subprocess
import sys

import numpy as np
import pytest

import esrl
from esrl.metrics import read_metrics
from esrl.runs import load_torch_state
from esrl.runs.loop import Limits, progress_line

from .conftest import SMALL_NOISE, cli, wait_for_first_record


def test_continuous_box_actions_on_pendulum(tmp_path):
    config = esrl.ESConfig(
        env="Pendulum-v1",
        noise_size=SMALL_NOISE,
        generations=2,
        population=8,
        pairs_per_task=4,
        obs_norm=True,
        target_episodes=4,
    )
    result = esrl.train_es(config, tmp_path / "pendulum", log=lambda s: None)
    assert result.iterations == 2 and not result.solved  # Pendulum has no threshold
    # Pendulum rewards lie in [-16.27, 0] per step for 200 steps
    assert -16.3 * 200 <= result.scores["final_return"] <= 0.0
    policy = esrl.load_policy(result.run_dir)
    action = policy.act(np.array([1.0, 0.0, 0.0], np.float32))
    assert action.shape == (1,) and -2.0 <= action[0] <= 2.0


def test_env_step_and_wall_time_limits_stop_a_run(tmp_path):
    base = dict(noise_size=SMALL_NOISE, target_return=float("inf"), target_episodes=4)
    by_steps = esrl.train_es(esrl.ESConfig(steps=3000, **base), tmp_path / "s", log=lambda s: None)
    assert by_steps.stop_reason == "step limit"
    assert by_steps.env_steps >= 3000 and by_steps.iterations < 200
    by_time = esrl.train_es(
        esrl.ESConfig(max_seconds=0.3, **base), tmp_path / "t", log=lambda s: None
    )
    assert by_time.stop_reason == "time limit" and 0.3 <= by_time.seconds < 5


def test_progress_line_counts_toward_the_first_limit():
    steps = Limits(steps=10_000_000)
    # 7.5M steps left at 500 steps/s: 15,000 s
    assert progress_line(steps, 0, 2_500_000, 3600.0, 500.0, 1.0) == "25.0% done, 4:10:00 left"
    # a time limit that comes first decides both figures
    both = Limits(steps=10_000_000, seconds=5400.0)
    assert progress_line(both, 0, 2_500_000, 3600.0, 500.0, 1.0) == "66.7% done, 0:30:00 left"
    assert progress_line(Limits(steps=10_000), 0, 10_000, 9.0, 500.0, 1.0) == (
        "100.0% done, 0:00:00 left"
    )
    assert progress_line(Limits(steps=100), 0, 0, 0.0, 0.0, 1.0) == "0.0% done, ? left"
    # 5 of 10 generations at 4 s each: the generation limit comes first, 20 s away
    generations = Limits(iterations=10, seconds=100.0)
    assert progress_line(generations, 5, 1000, 20.0, 50.0, 4.0) == "50.0% done, 0:00:20 left"
    # 2 of 10 generations in 90 s: the time limit comes first, 10 s away
    assert progress_line(generations, 2, 1000, 90.0, 11.1, 45.0) == "90.0% done, 0:00:10 left"
    # 1,000 of 4,000 steps at 100 steps/s, generations far away: 30 s
    with_steps = Limits(steps=4000, iterations=1000)
    assert progress_line(with_steps, 1, 1000, 10.0, 100.0, 10.0) == "25.0% done, 0:00:30 left"


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["a2c", "dqn"])
def test_sigterm_stops_a2c_and_dqn_with_a_checkpoint_of_the_last_update(tmp_path, algo):
    # they checkpoint once a minute: the TERM handler saves the update it stopped at
    out = tmp_path / algo
    flags = ["--env", "CartPole-v1", "--nenvs", "4", "--log-every", "500"]
    flags += ["--learning-starts", "200"] if algo == "dqn" else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "esrl", "train", algo, *flags, "--steps", "10M", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    metrics = wait_for_first_record(out)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert stderr.splitlines()[-1] == "esrl: stopped by SIGTERM and saved (resume with --resume)"
    assert "stopped: SIGTERM after" in stdout
    saved = load_torch_state(out / "agent.pt")["env_steps"]
    assert saved == read_metrics(metrics)[-1]["env_steps"] > 0  # the update it stopped at

    resumed = cli("train", algo, "--resume", str(out), "--steps", str(saved + 1000))
    assert resumed.returncode == 0, resumed.stderr
    steps = [r["env_steps"] for r in read_metrics(metrics)]
    assert steps == sorted(set(steps)) and steps[-1] >= saved + 1000
