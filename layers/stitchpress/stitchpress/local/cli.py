"""`stitchpress local up`: keep an embedded AWS, the publish worker and a preview server running."""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack

from ..service.config import add_site_arguments, site_from_arguments
from .runtime import DEFAULT_SWEEP_SECONDS

EXIT_WITHOUT_TEARDOWN = True  # see cli.main
STOP_LIMIT = 10.0  # seconds from Ctrl-C to exit, at most (plus the watchdog's own start)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="run until Ctrl-C; uploads to the drafts bucket publish automatically")
    up.add_argument(
        "--port", type=int, default=4566, help="port of the embedded AWS endpoint (0: any free port)"
    )
    up.add_argument(
        "--preview-port", type=int, default=8000, help="port of the site preview (0: any free port)"
    )
    add_site_arguments(up)
    up.add_argument(
        "--sweep-seconds",
        type=_sweep_seconds,
        default=DEFAULT_SWEEP_SECONDS,
        metavar="N",
        help=f"send scheduled posts that fall due every N seconds (default {DEFAULT_SWEEP_SECONDS:g}; "
        "AWS sweeps every 60)",
    )
    up.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="rebuild function instances taking a rebuild job's chunks at once (default 1; "
        "AWS: the RebuildConcurrency parameter)",
    )


def _sweep_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value <= 900:
        raise argparse.ArgumentTypeError(f"expected seconds, more than 0 and at most 900; got {text!r}")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64; got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from ..service import handler
    from .console import show_outcomes
    from .session import local_stack

    try:
        site = site_from_arguments(args)
    except ValueError as e:
        print(f"stitchpress local up: {e}", file=sys.stderr)
        return 2
    stopped = threading.Event()  # set once everything has stopped: the watchdog stands down
    with ExitStack() as cleanup:
        cleanup.callback(stopped.set)  # the last to run
        try:
            local = cleanup.enter_context(
                local_stack(
                    port=args.port,
                    preview_port=args.preview_port,
                    site=site,
                    sweep_seconds=args.sweep_seconds,
                    register=True,
                    rebuild_workers=args.workers,
                )
            )
        except OSError as e:  # e.g. the port is taken
            print(
                f"stitchpress local up: {e}; choose other ports with --port/--preview-port (0: any free one)",
                file=sys.stderr,
            )
            return 2
        # Before the lines below: whoever waits for them may stop us as soon as they appear.
        wait_for_ctrl_c = _catch_stop_signals()
        # Runs first when leaving the `with` (then the workers, the preview and moto stop).
        cleanup.callback(_exit_if_stopping_hangs, STOP_LIMIT, stopped)
        show_outcomes(handler.logger, local.site_url)
        from ..service import rebuild_handler

        # Imported once the stack set POWERTOOLS_SERVICE_NAME: its logger may be another one.
        if rebuild_handler.logger.name != handler.logger.name:
            show_outcomes(rebuild_handler.logger, local.site_url)  # "rebuilt  job <id>"
        for k, v in local.stack.outputs(local.endpoint, local.site_url).items():
            print(f"{k}={v}", flush=True)
        drafts = local.stack.config.drafts_bucket
        print(f"# publish: aws s3 cp my-post.md s3://{drafts}/drafts/ --endpoint-url {local.endpoint}")
        print(f"# one line per processed draft follows; full reports under s3://{drafts}/reports/")
        print("# Ctrl-C to stop", flush=True)
        wait_for_ctrl_c()
    return 0


def _catch_stop_signals() -> Callable[[], None]:
    """From now on SIGINT and SIGTERM only end the returned wait.

    Not an Event set by a handler: the kernel may give the signal to any thread, and Python runs
    handlers only when the main thread runs bytecode, which one blocked in Event.wait() does not
    (and a handler taking the Event's lock can deadlock with it). The wakeup fd is written by
    the C-level handler in whichever thread took the signal, so a read of it always returns."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    signal.set_wakeup_fd(write_end)

    def wait() -> None:
        os.read(read_end, 1)

    return wait


def _exit_if_stopping_hangs(seconds: float, stopped: threading.Event) -> None:
    """Ctrl-C always ends `local up`: when the orderly stop (an invocation finishing, moto
    shutting down) takes longer than `seconds`, exit anyway. Nothing is lost: the embedded AWS
    lives in this process. The threads' stacks go to stderr, to see what was slow."""

    def leave() -> None:
        if stopped.is_set():
            return
        print(f"# stopping took over {seconds:g} s; exiting without waiting", file=sys.stderr, flush=True)
        faulthandler.dump_traceback(all_threads=True)
        sys.stdout.flush()
        os._exit(0)

    timer = threading.Timer(seconds, leave)
    timer.daemon = True
    timer.start()
