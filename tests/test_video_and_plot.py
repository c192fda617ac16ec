import re

import imageio.v3 as iio
import numpy as np
import pytest

from .conftest import cli


@pytest.mark.slow
def test_eval_records_a_real_mp4_with_one_frame_per_step(small_run, tmp_path):
    video = tmp_path / "cartpole.mp4"
    result = cli("eval", str(small_run), "--episodes", "3", "--video", str(video))
    assert result.returncode == 0, result.stderr
    frames_written = int(re.search(r"\((\d+) frames, score ([\d.]+)\)", result.stdout).group(1))
    episode_return = float(re.search(r"score ([\d.]+)\)", result.stdout).group(1))
    frames = iio.imread(video, index=None)
    assert frames.ndim == 4 and frames.shape[-1] == 3
    assert len(frames) == frames_written == int(episode_return) + 1  # reset frame + one per step
    assert frames.std() > 1.0  # not a blank video


def test_plot_redraws_the_learning_curve_from_the_run_directory(small_run):
    curve = small_run / "learning_curve.png"
    curve.unlink()
    result = cli("plot", str(small_run))
    assert result.returncode == 0, result.stderr
    image = iio.imread(curve)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert np.unique(image.reshape(-1, image.shape[-1]), axis=0).shape[0] > 10
