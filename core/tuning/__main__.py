"""``python -m core.tuning worker ...``: a tuning worker process (see core.tuning.cli)."""

import sys

from core.tuning.cli import main

sys.exit(main())
