"""``python -m core.cli``: the same as the ``seggan`` command."""

import sys

from core.cli.main import main

sys.exit(main())
