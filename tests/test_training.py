"""ES solves CartPole-v1: the mean policy averages >= 475 over 100 episodes."""

import re

import numpy as np
import pytest

import esrl
from esrl.es.saved import evaluate_run

from .conftest import run_cli


def test_api_solves_cartpole_and_the_saved_policy_acts(tmp_path):
    result = esrl.train_es(esrl.ESConfig(seed=0), tmp_path / "run", log=lambda line: None)
    assert result.solved
    assert result.scores["final_return"] >= 475.0
    # independent check on fresh episodes, from the run directory alone
    returns = evaluate_run(result.run_dir, episodes=100, seed=123)
    assert returns.mean() >= 475.0
    policy = esrl.load_policy(result.run_dir)
    assert policy.act(np.zeros(4, np.float32)) in (0, 1)
    assert (result.run_dir / "learning_curve.png").stat().st_size > 10_000


@pytest.mark.slow
def test_cli_solves_cartpole_and_eval_reports_the_mean_return(tmp_path):
    out = tmp_path / "run"
    train = run_cli("train", "es", "--env", "CartPole-v1", "--seed", "1", "--out", str(out))
    assert train.returncode == 0, train.stderr
    final = re.search(r"final: mean return ([\d.]+)", train.stdout)
    assert final and float(final.group(1)) >= 475.0
    assert "solved" in train.stdout
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) >= 1 and any((out / "tensorboard").iterdir())

    evaluated = run_cli("eval", str(out), "--episodes", "100", "--seed", "7")
    assert evaluated.returncode == 0, evaluated.stderr
    last = evaluated.stdout.strip().splitlines()[-1]
    mean = float(re.match(r"mean return ([\d.]+)", last).group(1))
    assert mean >= 475.0
