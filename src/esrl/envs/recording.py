"""Record an episode of any gymnasium env to an mp4 file.

Uses imageio with the ffmpeg binary that the imageio-ffmpeg wheel ships, so no
system ffmpeg is needed.
"""

from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np


def record_episode(
    env_id: str,
    act: Callable[[np.ndarray], np.ndarray],
    path: Path | str,
    seed: int = 0,
    max_steps: int | None = None,
) -> tuple[float, int]:
    """Play one episode with `act(obs) -> action`, write its frames to `path`.

    Returns (episode return, number of frames written).
    """
    import imageio.v2 as imageio

    env = gym.make(env_id, render_mode="rgb_array")
    fps = env.metadata.get("render_fps", 30)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    total, frames = 0.0, 0
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        with imageio.get_writer(
            tmp, fps=fps, codec="libx264", quality=7, macro_block_size=8
        ) as writer:
            obs, _ = env.reset(seed=seed)
            writer.append_data(env.render())
            frames += 1
            done = False
            while not done and (max_steps is None or frames <= max_steps):
                obs, reward, terminated, truncated, _ = env.step(act(obs))
                total += float(reward)
                writer.append_data(env.render())
                frames += 1
                done = terminated or truncated
        tmp.replace(path)
    finally:
        env.close()
        tmp.unlink(missing_ok=True)
    return total, frames
