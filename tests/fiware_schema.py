"""The FIWARE Smart Data Model KeyPerformanceIndicator's JSON schema, validated offline:
the copies in `tests/data/fiware/` (see its README), with the common definitions the
schema `$ref`s served from the local file, never fetched."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema_rs

FIWARE = Path(__file__).parent / "data" / "fiware"
COMMON_URL = "https://smart-data-models.github.io/data-models/common-schema.json"


def _refuse(uri: str):
    raise ValueError(f"tests resolve no schema over the network: {uri}")


@cache
def kpi_validator() -> jsonschema_rs.Validator:
    """Validates keyValues entities; formats asserted too (dates, the id as a URI)."""
    schema = json.loads((FIWARE / "KeyPerformanceIndicator.schema.json").read_text(encoding="utf-8"))
    common = json.loads((FIWARE / "common-schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, registry=jsonschema_rs.Registry([(COMMON_URL, common)]),
                                       retriever=_refuse, validate_formats=True)


def errors(entity: dict) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in kpi_validator().iter_errors(entity)]
