"""crmmigrate: CRM data migration and data quality.

The few functions a script needs; everything else is internal.

    import crmmigrate
    config = crmmigrate.load_config("crmmigrate.yml")
    result = crmmigrate.run(config)
"""

from __future__ import annotations

from .lazy import lazy_names

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


__getattr__ = lazy_names(__name__, _LAZY)
