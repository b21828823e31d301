"""``python -m core.tuning worker|list``: the command line of a tuning worker."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from core.tuning.errors import TuningError, first_line
from core.tuning.study import list_studies
from core.tuning.worker import ask_to_end, run_worker


def _quiet_thread_errors(args: threading.ExceptHookArgs) -> None:
    """A background thread's error (Optuna's heartbeat while the database is away) as one masked line."""
    if args.exc_value is not None:
        print(f"{args.thread.name if args.thread else 'thread'}: {first_line(args.exc_value)}",
              file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 done, 2 a usage or study error, 130 interrupted)."""
    ap = argparse.ArgumentParser(prog="python -m core.tuning", description="NN Lab tuning worker")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker", help="run trials of a study that exists in the storage")
    w.add_argument("--storage", default=None,
                   help="SQLAlchemy URL (default: $NNLAB_STORAGE or the SQLite file); prefer $NNLAB_STORAGE "
                        "for a URL with a password: a command line is visible to every user of the machine")
    w.add_argument("--study", required=True, help="study name (create it on the page first)")
    w.add_argument("--n-trials", type=int, default=None, help="run at most this many trials here")
    w.add_argument("--retry-s", type=float, default=None,
                   help="keep retrying an unreachable database this long (default: $NNLAB_DB_RETRY_S or 60)")
    w.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)
    ls = sub.add_parser("list", help="list the studies in a storage")
    ls.add_argument("--storage", default=None)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            for n in list_studies(args.storage):
                print(n)
            return 0
        if args.n_trials is not None and args.n_trials < 1:
            raise TuningError(f"--n-trials {args.n_trials}: ask for at least 1 trial")
        signal.signal(signal.SIGTERM, ask_to_end)  # stop after the current epoch, like the Stop button
        threading.excepthook = _quiet_thread_errors
        ran = run_worker(args.storage, args.study, args.n_trials, args.parent,
                         log=lambda s: print(s, flush=True), retry_s=args.retry_s)
        print(f"ran {ran} trials", flush=True)
        return 0
    except TuningError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
