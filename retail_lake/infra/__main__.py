"""``python -m retail_lake.infra --write | --check``: regenerate or verify the generated artifacts."""

from __future__ import annotations

import argparse
import sys

from retail_lake.infra import GENERATED, drifted, write
from retail_lake.resources import NoCheckoutError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_lake.infra", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated files")
    mode.add_argument("--check", action="store_true", help="exit 1 when a file drifted")
    args = parser.parse_args(argv)
    if args.write:
        try:
            written = write()
        except NoCheckoutError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for name in written:
            print(f"wrote {name}")
        return 0
    stale = drifted()
    for path in stale:
        print(f"drifted: {GENERATED[path]} (run: python -m retail_lake.infra --write)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
