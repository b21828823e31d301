"""``python -m core.tuning worker ...``: a tuning worker process."""

import sys

from core.tuning import main

sys.exit(main())
