"""Entry point of `python -m dashboard`."""

import os
import sys

from dashboard import cli

code = cli.main()
if code == 0 and cli.DONE_CLEANLY:
    # Everything is committed and closed (cli sets the flag only then): the interpreter's teardown, which frees a
    # large import's millions of objects one by one (0.3-0.5 s), is skipped.
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
sys.exit(code)
