"""``python -m devstack up|status|down|leftovers`` — the local Havre platform."""

from __future__ import annotations

import argparse
import json
import sys

from devstack import process, stack
from devstack.errors import ComponentError
from devstack.paths import StackPaths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("command", choices=["up", "status", "down", "leftovers", "info"])
    parser.add_argument("--only", help="comma-separated components (default: all)")
    args = parser.parse_args(argv)
    paths = StackPaths.from_env()
    only = args.only.split(",") if args.only else None
    try:
        if args.command == "up":
            result = stack.up(paths, only)
            print(stack.format_timings(result))
            _print_where(paths)
        elif args.command == "status":
            rows = stack.status(paths)
            for name, state, detail in rows:
                print(f"{name:<11} {state:<10} {detail}")
            return 0 if all(s != "unhealthy" for _, s, _ in rows) else 1
        elif args.command == "down":
            left = stack.down(paths, only)
            if left:
                print(f"still running after stop: {left}", file=sys.stderr)
                return 1
            print(f"stack at {paths.state} stopped")
        elif args.command == "leftovers":
            left = process.marked_pids(paths.state)
            if left:
                print(f"processes of the stack still running: {left}", file=sys.stderr)
                return 1
            print("no process of the stack is running")
        elif args.command == "info":
            print(json.dumps(stack.read_manifest(paths), indent=2))
    except ComponentError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    return 0


def _print_where(paths: StackPaths) -> None:
    manifest = stack.read_manifest(paths) or {}
    comps = manifest.get("components", {})
    kubeconfig = comps.get("kube", {}).get("kubeconfig")
    print(f"stack state: {paths.state}")
    if kubeconfig:
        print(f"kubeconfig:  {kubeconfig}   (export KUBECONFIG={kubeconfig})")
    print(f"credentials: {paths.manifest} (mode 0600; endpoints and generated passwords)")
    print(f"CA:          {manifest.get('ca')}")
    print(f"logs:        {manifest.get('logs')}")


if __name__ == "__main__":
    sys.exit(main())
