"""``python -m subsidy``: the ``subsidy`` command, for an environment without its script on the
PATH."""

import sys

from .cli import main

sys.exit(main())
