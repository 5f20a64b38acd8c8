"""Import Great Expectations in the background, ahead of the first suite that needs it.

The import takes about 1.5 s of one core. A core asset that rebuilds its table starts
it (that table's suite will run), and so does a suite that is not carried over; the
import then overlaps DuckDB work, which releases the GIL. A run whose tables are all
unchanged never imports GE. A later ``import great_expectations`` waits for the
background import (Python's per-module import lock), or raises its error if it failed.
"""

import importlib
import os
import sys
import threading

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

_ge_import: threading.Thread | None = None


def import_ge_ahead() -> None:
    """Start importing Great Expectations in a background thread, once per process."""
    global _ge_import
    if _ge_import is None and "great_expectations" not in sys.modules:
        _ge_import = threading.Thread(
            target=importlib.import_module,
            args=("great_expectations",),
            name="bt-import-ge",
            daemon=True,
        )
        _ge_import.start()
