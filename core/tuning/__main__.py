"""``python -m core.tuning worker ...``: a tuning worker process (see core.tuning.cli)."""

import os
import sys

from core.tuning.cli import main

try:
    code = main()
except SystemExit as e:  # argparse's usage errors, and a SIGTERM while the worker was still starting
    code = e.code if isinstance(e.code, int) else 2 if e.code else 0
# Everything is committed by now: skip the interpreter's teardown (PyTorch's, SQLAlchemy's), which took
# seconds on a busy machine while the page went on counting the worker as alive after Stop.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
