"""`python -m bench.dispatch.sweep`: see the package docstring."""

import sys

from .runner import main

sys.exit(main())
