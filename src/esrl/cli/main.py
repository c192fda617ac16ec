"""`esrl train es|a2c|dqn`, `esrl eval RUN_DIR`, `esrl plot RUN_DIR`.

User mistakes surface as one line on stderr and exit code 2; nothing already in a
run directory is overwritten.
"""

import argparse
import os
import sys

from esrl.cli.config_args import add_config_arguments, given_values
from esrl.errors import UserError
from esrl.policy import export_policy, saved_module

EXIT_USER_ERROR = 2
EXIT_SIGNAL = {"SIGTERM": 128 + 15, "SIGINT": 128 + 2}  # the shell's codes, though saved


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        sys.stderr.write(f"esrl: error: {message}\n")
        raise SystemExit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    from esrl.a2c.config import A2CConfig
    from esrl.dqn.config import DQNConfig
    from esrl.es.config import ESConfig

    parser = _Parser(prog="esrl", description="Evolution Strategies for RL")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train an agent")
    algos = train.add_subparsers(dest="algo", required=True, parser_class=_Parser)
    es = algos.add_parser("es", help="OpenAI-style Evolution Strategies")
    es.add_argument("--out", help="run directory to create (default: runs/es-ENV-seedN-TIME)")
    es.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    add_config_arguments(es, ESConfig)
    a2c = algos.add_parser("a2c", help="advantage actor-critic on a batch of envs")
    a2c.add_argument("--out", help="run directory to create (default: runs/a2c-ENV-seedN-TIME)")
    a2c.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    add_config_arguments(a2c, A2CConfig)
    dqn = algos.add_parser("dqn", help="n-step DQN with a pool of games and experience replay")
    dqn.add_argument("--out", help="run directory to create (default: runs/dqn-ENV-seedN-TIME)")
    dqn.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    add_config_arguments(dqn, DQNConfig)

    ev = commands.add_parser("eval", help="play whole games with the saved policy of a run")
    ev.add_argument("run_dir")
    ev.add_argument("--episodes", type=int, default=10)
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--video", metavar="FILE.mp4", help="record the first episode to this file")
    ev.add_argument(
        "--deterministic",
        action="store_true",
        help="play the most probable action (A2C) or the greedy one (DQN) instead of "
        "sampling or exploring at the run's evaluation epsilon; ES is deterministic",
    )
    ev.add_argument(
        "--sticky-actions",
        type=float,
        default=0.25,
        metavar="P",
        help="Atari: probability that the emulator repeats the previous frame's action "
        "(default: 0.25, the standard protocol; 0 for a deterministic emulator)",
    )
    ev.add_argument(
        "--noop-max",
        type=int,
        default=30,
        metavar="N",
        help="Atari: ALE plays up to N no-ops after each reset (default: 30)",
    )

    plot = commands.add_parser("plot", help="redraw a run's learning curve / diagnostics PNG")
    plot.add_argument("run_dir")

    export = commands.add_parser(
        "export",
        help="copy a run's policy, config and curves, without what only resuming needs "
        "(a small model to share; eval, plot and the Python API take it)",
    )
    export.add_argument("run_dir")
    export.add_argument("out", help="directory to create")
    return parser


# algo -> (config module, config class); its trainer module has train_ALGO and resume_ALGO
ALGOS = {
    "es": ("esrl.es.config", "ESConfig"),
    "a2c": ("esrl.a2c.config", "A2CConfig"),
    "dqn": ("esrl.dqn.config", "DQNConfig"),
}


def _train(args: argparse.Namespace):
    """The trainer's result (with `stop_reason`)."""
    import importlib

    module, name = ALGOS[args.algo]
    config_cls = getattr(importlib.import_module(module), name)
    given = given_values(args, config_cls)
    if args.resume:
        if args.out:
            raise UserError("use either --resume RUN_DIR or --out RUN_DIR, not both")
        trainer = importlib.import_module(f"esrl.{args.algo}.trainer")
        return getattr(trainer, f"resume_{args.algo}")(args.resume, given)
    config = config_cls(**given)
    config.validate()  # bad values answer before the trainer's imports (torch) load
    trainer = importlib.import_module(f"esrl.{args.algo}.trainer")
    return getattr(trainer, f"train_{args.algo}")(config, args.out)


def _eval(args: argparse.Namespace) -> None:
    if args.episodes <= 0:
        raise UserError(f"--episodes must be positive, got {args.episodes}")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, got {args.seed}")
    from esrl.envs.atari import AtariProtocol

    protocol = AtariProtocol(args.sticky_actions, args.noop_max)
    saved = saved_module(args.run_dir)
    if args.video:
        from esrl.envs.recording import check_video_path

        check_video_path(args.video)  # before minutes of play, not after
    returns = saved.evaluate_run(
        args.run_dir,
        args.episodes,
        args.seed,
        args.video,
        log=print,
        protocol=protocol,
        deterministic=args.deterministic,
    )
    print(f"mean return {returns.mean():.2f} +- {returns.std():.2f} over {len(returns)} episodes")


def _plot(args: argparse.Namespace) -> None:
    print(saved_module(args.run_dir).plot_run(args.run_dir))


def set_openmp_passive() -> None:
    """Let torch's idle OpenMP threads sleep (`OMP_WAIT_POLICY=PASSIVE`) unless the user
    chose a policy. By default they spin after each parallel region, on the cores that
    ALE's emulator threads need next. The `esrl` program sets it before torch loads;
    Python users who import esrl decide for their own process."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv: list[str] | None = None) -> int:
    set_openmp_passive()
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # progress lines reach a log file or pipe
    try:
        if args.command == "train":
            reason = _train(args).stop_reason
            if reason in EXIT_SIGNAL:
                sys.stderr.write(f"esrl: stopped by {reason} and saved (resume with --resume)\n")
                return EXIT_SIGNAL[reason]
        elif args.command == "eval":
            _eval(args)
        elif args.command == "plot":
            _plot(args)
        elif args.command == "export":
            print(export_policy(args.run_dir, args.out))
    except UserError as exc:
        sys.stderr.write(f"esrl: error: {exc}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(
            "esrl: interrupted; a run directory keeps its last checkpoint (--resume RUN_DIR)\n"
        )
        return EXIT_SIGNAL["SIGINT"]
    except MemoryError as exc:  # e.g. a replay memory larger than this machine's RAM
        sys.stderr.write(f"esrl: error: not enough memory ({exc})\n")
        return EXIT_USER_ERROR
    except OSError as exc:  # the machine's, not esrl's: a full disk, a read-only place
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"esrl: error: {exc.strerror or exc}{where}\n")
        return EXIT_USER_ERROR
    return 0
