#!/usr/bin/env python3
"""Validates every shipped scenario (scenarios/*.yaml, bench/scenarios/*.yaml) against
scenarios/schema.json, so editors that use the schema accept what the project ships.
The schema's keys are checked against the loader's in tests/scenario_schema_test.cpp.

Usage: check_scenario_schema.py SOURCE_DIR
"""
import json
import pathlib
import sys

import jsonschema
import yaml


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    schema = json.loads((root / "scenarios" / "schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted((root / "scenarios").glob("*.yaml")) + sorted((root / "bench" / "scenarios").glob("*.yaml"))
    if not files:
        print(f"no scenarios found under {root}", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        document = yaml.safe_load(path.read_text())
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for error in errors:
            where = ".".join(str(part) for part in error.absolute_path) or "(top)"
            print(f"{path.relative_to(root)}: {where}: {error.message}", file=sys.stderr)
        failed += bool(errors)
        print(f"{path.relative_to(root)}: {'invalid' if errors else 'valid'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
