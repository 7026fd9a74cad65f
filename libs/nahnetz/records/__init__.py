"""Typed records: one class per Avro named type in `schemas/`.

    from nahnetz.records import OrderPlaced, OrderLine, Channel

The classes are generated from the schemas at install time (`scripts/setup` runs
`nahnetz schemas generate`; so does the Dockerfile) into the modules of this package
beside `base.py`; they are not committed, so they always match `schemas/`.
"""

try:
    from ._index import *  # noqa: F401,F403
    from ._index import __all__  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - a checkout that skipped setup
    if exc.name != f"{__name__}._index":
        raise
    raise ImportError("nahnetz.records is generated from schemas/: run scripts/setup "
                      "(or `.venv/bin/nahnetz schemas generate`)") from exc
