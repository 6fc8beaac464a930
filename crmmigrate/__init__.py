"""crmmigrate: CRM data migration and data quality.

The few functions a script needs; everything else is internal.

    import crmmigrate
    config = crmmigrate.load_config("crmmigrate.yml")
    result = crmmigrate.run(config)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "dedupe",
    "extract_source",
    "load_config",
    "open_store",
    "reconcile",
    "run",
    "standardise",
    "validate",
]

# Imported on first use, so that `import crmmigrate` (and the CLI's start) stays fast.
_LAZY = {
    "run": ".pipeline",
    "load_config": ".config",
    "extract_source": ".extract",
    "standardise": ".cleanse",
    "dedupe": ".dedupe",
    "validate": ".validate",
    "open_store": ".store",
    "reconcile": ".reconcile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'crmmigrate' has no attribute {name!r}")
