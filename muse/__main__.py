"""`python -m muse` is the `muse` command."""

import sys

from muse.cli import main

sys.exit(main())
