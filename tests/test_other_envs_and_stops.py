import signal
import subprocess
import sys

import numpy as np
import pytest

import esrl
from esrl.metrics import read_metrics
from esrl.runs import budget_progress, load_torch_state

from .conftest import SMALL_NOISE, run_cli, wait_for_first_record


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
    assert result.generations == 2 and not result.solved  # Pendulum has no threshold
    # Pendulum rewards lie in [-16.27, 0] per step for 200 steps
    assert -16.3 * 200 <= result.final_return <= 0.0
    policy = esrl.load_policy(result.run_dir)
    action = policy.act(np.array([1.0, 0.0, 0.0], np.float32))
    assert action.shape == (1,) and -2.0 <= action[0] <= 2.0


def test_env_step_and_wall_time_limits_stop_a_run(tmp_path):
    base = dict(noise_size=SMALL_NOISE, target_return=float("inf"), target_episodes=4)
    by_steps = esrl.train_es(
        esrl.ESConfig(max_env_steps=3000, **base), tmp_path / "s", log=lambda s: None
    )
    assert by_steps.stop_reason == "env-step limit"
    assert by_steps.env_steps >= 3000 and by_steps.generations < 200
    by_time = esrl.train_es(
        esrl.ESConfig(max_seconds=0.3, **base), tmp_path / "t", log=lambda s: None
    )
    assert by_time.stop_reason == "time limit" and 0.3 <= by_time.seconds < 5


def test_budget_progress_counts_toward_the_first_limit():
    # 7.5M steps left at 500 steps/s: 15,000 s
    assert budget_progress(2_500_000, 10_000_000, 3600.0, 0.0, 500.0) == "25.0% done, 4:10:00 left"
    # a time limit that comes first decides both figures
    assert budget_progress(2_500_000, 10_000_000, 3600.0, 5400.0, 500.0) == (
        "66.7% done, 0:30:00 left"
    )
    assert budget_progress(10_000, 10_000, 9.0, 0.0, 500.0) == "100.0% done, 0:00:00 left"
    assert budget_progress(0, 100, 0.0, 0.0, 0.0) == "0.0% done, ? left"


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

    resumed = run_cli("train", algo, "--resume", str(out), "--steps", str(saved + 1000))
    assert resumed.returncode == 0, resumed.stderr
    steps = [r["env_steps"] for r in read_metrics(metrics)]
    assert steps == sorted(set(steps)) and steps[-1] >= saved + 1000


def test_es_log_lines_say_how_far_the_first_limit_is():
    from esrl.es.trainer import Progress, _progress

    config = esrl.ESConfig(generations=10, max_seconds=100.0)
    # 5 of 10 generations in 20 s: the generation limit comes first, 20 s away
    assert _progress(config, 5, Progress(env_steps=1000, seconds=20.0)) == (
        "50.0% done, 0:00:20 left"
    )
    # 2 of 10 generations in 90 s: the time limit comes first, 10 s away
    assert _progress(config, 2, Progress(env_steps=1000, seconds=90.0)) == (
        "90.0% done, 0:00:10 left"
    )
    with_steps = esrl.ESConfig(generations=1000, max_env_steps=4000)
    assert _progress(with_steps, 1, Progress(env_steps=1000, seconds=10.0)) == (
        "25.0% done, 0:00:30 left"
    )
