"""Record an episode of any gymnasium env to an mp4 file.

Uses imageio with the ffmpeg binary that the imageio-ffmpeg wheel ships, so no
system ffmpeg is needed.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import gymnasium as gym
import numpy as np

from esrl.errors import UserError

if TYPE_CHECKING:
    from esrl.envs.atari import AtariProtocol

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi")


def check_video_path(path: Path | str) -> Path:
    """A place a video can be written to, or one UserError line; checked before any
    episode is played, so a mistyped path costs no time."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise UserError(f"--video needs a file name ending in {', '.join(VIDEO_SUFFIXES)}: {path}")
    probe = path.with_name(f".{path.name}.probe")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot write the video {path}: {exc.strerror or exc}") from None
    return path


def _headless_sdl() -> None:
    """Classic-control envs draw with pygame, whose SDL looks for a display (and prints
    "XDG_RUNTIME_DIR is invalid" without one) even for rgb_array frames. Off-screen
    frames need no display; a driver chosen by the user is kept."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


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

    path = check_video_path(path)
    _headless_sdl()
    env = _make_rendering(env_id)
    fps = env.metadata.get("render_fps", 30)
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


def _make_rendering(env_id: str) -> gym.Env:
    """`gym.make(env_id, render_mode="rgb_array")`, with MuJoCo rendering headless (EGL,
    unless MUJOCO_GL says otherwise) and one clear error where no GL library is present."""
    from esrl.envs.vector import is_mujoco
    from esrl.errors import UserError

    options = {}
    if is_mujoco(env_id):
        os.environ.setdefault("MUJOCO_GL", "egl")  # read when MuJoCo's renderer loads
        options["camera_name"] = "track"  # the model's camera that follows the body
    env = gym.make(env_id, render_mode="rgb_array", **options)
    try:
        env.reset(seed=0)
        env.render()
    except Exception as exc:  # GL libraries raise many types; all mean "cannot render"
        env.close()
        raise UserError(
            f"cannot render {env_id} headless ({type(exc).__name__}: {exc}); MuJoCo needs EGL "
            "(Debian: apt-get install libegl1) or OSMesa (libosmesa6, with MUJOCO_GL=osmesa)"
        ) from None
    return env


def record_atari_game(
    game: str,
    act: Callable[[np.ndarray], np.ndarray],
    path: Path | str,
    size: int | tuple[int, int],
    frame_skip: int,
    protocol: "AtariProtocol",
    seed: int = 0,
    max_steps: int = 27_000,
    channels_last: bool = False,
    crop_bottom: int = 0,
) -> tuple[float, int]:
    """One full game of `act` (on stacked SIZE x SIZE frames) under `protocol`, as an mp4
    of the color screen.

    The policy plays in the usual preprocessed env; a second env with full-size color
    frames gets the same actions and the same seed. Given both, the emulator and ALE's
    sticky-action and no-op draws are deterministic, so both play the same game, and the
    video shows the screen a person would see. `act` sees (stack, size, size) frames, or
    (size, size, stack) with `channels_last`. Returns (raw game score, frames written).
    """
    import imageio.v2 as imageio
    from ale_py.vector_env import AtariVectorEnv

    from esrl.envs.atari import game_name, make_atari

    policy_env = make_atari(
        game,
        1,
        size=size,
        crop_bottom=crop_bottom,
        frameskip=frame_skip,
        noop_max=protocol.noop_max,
        repeat_action_probability=protocol.sticky_actions,
        channels_last=channels_last,
    )
    viewer = AtariVectorEnv(
        game_name(game),
        1,
        img_height=210,
        img_width=160,
        grayscale=False,
        stack_num=1,
        frameskip=frame_skip,
        noop_max=protocol.noop_max,
        repeat_action_probability=protocol.sticky_actions,
        reward_clipping=False,
    )
    path = check_video_path(path)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    score, frames = 0.0, 0
    try:
        obs, _ = policy_env.reset(seed=seed)
        screen, _ = viewer.reset(seed=seed)
        fps = 60 / frame_skip  # real-time: the Atari draws 60 frames a second
        options = dict(fps=fps, codec="libx264", quality=7, macro_block_size=4)
        with imageio.get_writer(tmp, **options) as writer:
            writer.append_data(np.repeat(np.repeat(screen[0, -1], 2, 0), 2, 1))
            frames += 1
            for _ in range(max_steps):
                actions = np.array([int(act(obs[0]))], np.int64)
                obs, _, _, _, info = policy_env.step(actions)
                screen, viewer_reward, *_ = viewer.step(actions)
                if viewer_reward[0] != info["raw_reward"][0]:
                    raise RuntimeError("the color screen's game diverged from the policy's")
                score += float(info["raw_reward"][0])
                writer.append_data(np.repeat(np.repeat(screen[0, -1], 2, 0), 2, 1))
                frames += 1
                if info["game_over"][0]:
                    break
        tmp.replace(path)
    finally:
        policy_env.close()
        viewer.close()
        tmp.unlink(missing_ok=True)
    return score, frames


def record_game(
    env_id: str,
    act: Callable[[np.ndarray], np.ndarray],
    path: Path | str,
    seed: int = 0,
    *,
    frame_size: int | tuple[int, int] = 84,
    frame_skip: int = 4,
    channels_last: bool = False,
    crop_bottom: int = 0,
    protocol: "AtariProtocol | None" = None,
) -> tuple[float, int]:
    """An Atari game under `protocol` (default: the standard one, as `esrl eval` scores) or
    one episode of any other env, as an mp4; `act` maps one observation to one action."""
    from esrl.envs.atari import AtariProtocol, game_name

    if game_name(env_id) is None:
        return record_episode(env_id, act, path, seed=seed)
    return record_atari_game(
        env_id,
        act,
        path,
        frame_size,
        frame_skip,
        protocol or AtariProtocol(),
        seed,
        channels_last=channels_last,
        crop_bottom=crop_bottom,
    )
