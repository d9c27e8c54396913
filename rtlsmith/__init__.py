"""rtlsmith: spec to verified, synthesised RTL."""
__version__ = "0.1.0"

# In a source tree used without installation (the docker sandbox mounts it read-only and
# puts it on PYTHONPATH), the product folders are siblings of this package: make them its
# subpackages, as the installed package-dir mapping does.
from pathlib import Path as _Path

_root = _Path(__file__).resolve().parent.parent
if (_root / "eda_tools" / "__init__.py").is_file() and str(_root) not in __path__:
    __path__.append(str(_root))
del _Path, _root
