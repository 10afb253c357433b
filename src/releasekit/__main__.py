from __future__ import annotations

import sys

from releasekit.cli import main

sys.exit(main())
