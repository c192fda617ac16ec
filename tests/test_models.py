"""The committed models still load and play as their READMEs say."""

from pathlib import Path

import numpy as np
import pytest

import esrl

MODELS = Path(__file__).parent.parent / "models"


@pytest.mark.slow
def test_committed_dqn_mspacman_plays_well_above_random():
    """One protocol game (sticky actions 0.25), as the model README's one-game command
    plays it: 1,020 points here; a random policy averages 247.5 +- 94.5, so 500 is far
    above it whatever the CPU."""
    from esrl.dqn.saved import evaluate_run

    scores = evaluate_run(MODELS / "dqn-mspacman", 1, seed=0, log=lambda line: None)
    assert scores.shape == (1,) and scores[0] > 500
    policy = esrl.load_policy(MODELS / "dqn-mspacman")
    obs = np.zeros((3, 84, 84, 4), np.uint8)
    assert policy.act(obs).shape == (3,)
