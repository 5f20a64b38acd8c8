"""Make the repository root and this folder's reference module importable.

Tests run with ``--import-mode=importlib`` and the project is not installed in the
virtualenv, so neither is on ``sys.path`` by itself.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE.parents[1]), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
