"""Command line: ``richardson VERB ...`` (``richardson --help`` lists the verbs).

Exit codes: 0 success, 1 a richardson error (bad model, data or input), 2 bad usage.
Errors are one clear line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import RichardsonError

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    path = run_demo(args.out)
    print(f"wrote {path} and {path.with_suffix('.html')}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="richardson",
        description="Arms-race and alliance-escalation models: simulate, analyse, fit, plot.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    demo = verbs.add_parser("demo", help="run the main job on the bundled scenarios and data",
                            description="Simulate every bundled scenario and write out/report.md, "
                                        "out/report.html and PNG figures.")
    demo.add_argument("--out", default="out", help="output directory (default: out)")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``richardson`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except RichardsonError as err:
        if args.debug:
            raise
        print(f"richardson: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("richardson: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
