"""The `registry` console script. `registry label verify` runs without the app (the offline
check a receiving clerk runs on many labels must start at once); every other command is a
Flask command of registry/commands.py."""

from __future__ import annotations

import sys

OFFLINE = ["label", "verify"]


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args[: len(OFFLINE)] == OFFLINE:
        from registry.labels.offline_cli import verify

        verify.main(args[len(OFFLINE) :], prog_name="registry label verify")
    else:
        from registry.commands import main as with_app

        with_app()
