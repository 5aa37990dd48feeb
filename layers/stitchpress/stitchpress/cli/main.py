"""The `stitchpress` command. Each subcommand lives in its own module, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# name -> (module, one-line help). A module provides add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "stitch": ("stitchpress.cli.stitch", "stitch a segmented draft and print the article"),
    "check": ("stitchpress.cli.check", "validate drafts; exit 1 when any is rejected"),
    "preview": (
        "stitchpress.cli.preview",
        "render drafts to HTML files on this machine (no AWS); exit 1 when any is rejected",
    ),
    "rebuild": (
        "stitchpress.cli.rebuild",
        "re-render every listing (and --posts every post) of the configured stack",
    ),
    "demo": ("stitchpress.local.demo", "publish examples/drafts on an embedded local AWS into _site/"),
    "local": ("stitchpress.local.cli", "run the embedded local AWS stack (local up)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stitchpress", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = {}
    args_list = list(sys.argv[1:] if argv is None else argv)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen command's module is imported: keeps `stitchpress check` fast.
        if args_list and args_list[0] == name:
            modules[name] = importlib.import_module(module_name)
            modules[name].add_arguments(p)
    args = parser.parse_args(args_list)
    module = modules[args.command]
    try:
        status = int(module.run(args))
    except BrokenPipeError:
        # The reader went away (`stitchpress stitch --json ... | head`): stop quietly, as Unix
        # tools do. Point stdout at /dev/null so the interpreter's final flush cannot fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    if argv is None and getattr(module, "EXIT_WITHOUT_TEARDOWN", False):
        # The command has cleaned up; skip the interpreter's teardown of moto's thousands of
        # objects and modules (seconds after Ctrl-C). Only as a program: tests call main(argv).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
