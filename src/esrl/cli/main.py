"""`esrl train es|...`, `esrl eval RUN_DIR`, `esrl plot RUN_DIR`.

User mistakes surface as one line on stderr and exit code 2; nothing already in a
run directory is overwritten.
"""

import argparse
import sys

from esrl.cli.config_args import add_config_arguments, given_values
from esrl.errors import UserError

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        sys.stderr.write(f"esrl: error: {message}\n")
        raise SystemExit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    from esrl.es.config import ESConfig

    parser = _Parser(prog="esrl", description="Evolution Strategies for RL")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train an agent")
    algos = train.add_subparsers(dest="algo", required=True, parser_class=_Parser)
    es = algos.add_parser("es", help="OpenAI-style Evolution Strategies")
    es.add_argument("--out", help="run directory to create (default: runs/es-ENV-seedN-TIME)")
    es.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    add_config_arguments(es, ESConfig)

    ev = commands.add_parser("eval", help="evaluate the saved mean policy of a run")
    ev.add_argument("run_dir")
    ev.add_argument("--episodes", type=int, default=10)
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--video", metavar="FILE.mp4", help="record the first episode to this file")

    plot = commands.add_parser("plot", help="redraw a run's learning curve PNG")
    plot.add_argument("run_dir")
    return parser


def _train_es(args: argparse.Namespace) -> None:
    from esrl.es.config import ESConfig
    from esrl.es.trainer import resume_es, train_es

    given = given_values(args, ESConfig)
    if args.resume:
        if args.out:
            raise UserError("use either --resume RUN_DIR or --out RUN_DIR, not both")
        resume_es(args.resume, given)
    else:
        train_es(ESConfig.for_env(given.pop("env", ESConfig.env), **given), args.out)


def _eval(args: argparse.Namespace) -> None:
    from esrl.es.saved import evaluate_run

    if args.episodes <= 0:
        raise UserError(f"--episodes must be positive, got {args.episodes}")
    returns = evaluate_run(args.run_dir, args.episodes, args.seed, args.video, log=print)
    print(f"mean return {returns.mean():.2f} +- {returns.std():.2f} over {len(returns)} episodes")


def _plot(args: argparse.Namespace) -> None:
    from esrl.es.saved import plot_run

    print(plot_run(args.run_dir))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            _train_es(args)
        elif args.command == "eval":
            _eval(args)
        elif args.command == "plot":
            _plot(args)
    except UserError as exc:
        sys.stderr.write(f"esrl: error: {exc}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(
            "esrl: interrupted; the last checkpoint is intact (resume with --resume)\n"
        )
        return 130
    return 0
