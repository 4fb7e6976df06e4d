"""``python -m dashboards``: write the dashboards' JSON into the chart (``--check``: only
say whether the committed JSON matches the generator, exit 1 if not)."""

from __future__ import annotations

import argparse
import sys

from dashboards.build import DASHBOARDS, dumps, path, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards", description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        stale = [
            str(path(d))
            for d in DASHBOARDS
            if not path(d).exists() or path(d).read_text() != dumps(d)
        ]
        for name in stale:
            print(f"out of date: {name} (run python -m dashboards)", file=sys.stderr)
        return 1 if stale else 0
    for written in write():
        print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
