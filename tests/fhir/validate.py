#!/usr/bin/env python3
"""Validates FHIR R4 (4.0.1) resources in JSON with fhir.resources 6.1.0.

Usage:
    validate.py PATH...   each PATH a JSON file, or a directory whose *.json files are read
    validate.py           (or validate.py -) reads one resource from standard input
    validate.py --check   only checks that fhir.resources 6.1.0 (FHIR 4.0.1) can be imported

Each file holds one resource (a Bundle's entries are validated with it).
Prints one line per resource and a summary line. Exit status: 0 when every
resource is valid, 1 when any is not (each failure listed with its errors),
2 when fhir.resources cannot be imported or a path cannot be read.
"""

import json
import pathlib
import sys

WANT_PACKAGE = "6.1.0"
WANT_FHIR = "4.0.1"


def load_library():
    try:
        import fhir.resources as fr
        from fhir.resources import construct_fhir_element
    except Exception as e:  # ImportError, or pydantic 2 underneath (6.1.0 needs pydantic 1)
        print(f"fhir.resources is not importable: {e}", file=sys.stderr)
        sys.exit(2)
    version = getattr(fr, "__version__", "?")
    fhir_version = getattr(fr, "__fhir_version__", "?")
    if version != WANT_PACKAGE or fhir_version != WANT_FHIR:
        print(
            f"fhir.resources {version} (FHIR {fhir_version}) found; "
            f"{WANT_PACKAGE} (FHIR {WANT_FHIR}) is required",
            file=sys.stderr,
        )
        sys.exit(2)
    return construct_fhir_element


def validate(construct, name, text):
    """Returns a list of problems with one resource (empty when valid)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"not JSON: {e}"]
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        return ["not a FHIR resource: no resourceType"]
    try:
        construct(data["resourceType"], data)
    except Exception as e:  # pydantic's ValidationError, or an unknown resourceType
        return [line for line in str(e).splitlines() if line.strip()]
    return []


def inputs(args):
    if not args or args == ["-"]:
        yield "<stdin>", sys.stdin.read()
        return
    for arg in args:
        path = pathlib.Path(arg)
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            print(f"{arg}: no .json files", file=sys.stderr)
            sys.exit(2)
        for f in files:
            try:
                yield str(f), f.read_text(encoding="utf-8")
            except OSError as e:
                print(f"{f}: cannot read: {e}", file=sys.stderr)
                sys.exit(2)


def main(argv):
    construct = load_library()
    if argv == ["--check"]:
        return 0
    valid = invalid = 0
    for name, text in inputs(argv):
        problems = validate(construct, name, text)
        if problems:
            invalid += 1
            print(f"INVALID {name}")
            for p in problems:
                print(f"    {p}")
        else:
            valid += 1
            print(f"valid   {name}")
    print(f"{valid} valid, {invalid} invalid (FHIR {WANT_FHIR}, fhir.resources {WANT_PACKAGE})")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
