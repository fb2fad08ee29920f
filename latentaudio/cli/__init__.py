"""The ``latentaudio`` command: argument parsing only; every verb calls package functions.

One module per verb group (``generate``: init and generate; ``instrument``; ``pack``; ``render``; ``edit``: the editing verbs from one
table; ``data``; ``train``: train and finetune; ``evaluate``; ``demo``: the web studio), over :mod:`.common`'s shared
options, model loading and output files. Heavy packages load only when a verb runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from .common import CommandParser, VerbParser, one_line, say_drawn_seed
from .data import add_data_commands
from .demo import add_demo_command
from .edit import add_edit_commands
from .evaluate import add_evaluate_command
from .generate import add_generate_commands
from .instrument import add_instrument_command
from .pack import add_pack_command
from .render import add_render_command
from .serve import add_serve_command, forward
from .train import add_training_commands

# Nothing latentaudio runs may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog="latentaudio", description=__doc__.split(":")[0])
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error (for bug reports)")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=VerbParser)
    add_generate_commands(verbs)
    add_instrument_command(verbs)
    add_pack_command(verbs)
    add_render_command(verbs)
    add_data_commands(verbs)
    add_training_commands(verbs)
    add_edit_commands(verbs)
    add_evaluate_command(verbs)
    add_demo_command(verbs)
    add_serve_command(verbs, execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one verb: on ``latentaudio serve``'s process when one is running and the verb is one it serves
    (see :mod:`.serve`), else here. A usage error (:class:`.common.CommandParser`) or any other failure prints
    one line on stderr and exits 1, with the traceback only under ``--debug``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if getattr(args, "servable", False) and not args.local:
        served = forward(argv)
        if served is not None:
            return served
    return run(args)


def execute(argv: list[str]) -> int:
    """Run one verb in this process (what ``latentaudio serve`` does with each request); its exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # a usage error (printed, exit 1), or --help (exit 0)
        return exit_.code if isinstance(exit_.code, int) else 1
    try:
        return run(args)
    except Exception:  # --debug: the traceback goes to the caller's stderr, the server goes on
        traceback.print_exc()
        return 1


def run(args) -> int:
    try:
        say_drawn_seed(args)
        return args.run(args)
    except KeyboardInterrupt:
        print(f"latentaudio {args.verb}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"latentaudio {args.verb}: error: {one_line(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
