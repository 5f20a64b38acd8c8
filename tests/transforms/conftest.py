"""Make the repository root and this folder's builders importable.

pytest may run in a mode that does not put the test folder or the project root on
``sys.path`` (the project is not installed in the virtualenv), so add both here.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE.parents[1]), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
