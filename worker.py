"""`python worker.py` runs the scheduler, exactly like `hamkor worker`.

Global options go first, as for `hamkor`: `python worker.py --db URL`.
"""

from __future__ import annotations

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main([*sys.argv[1:], "worker"]))
