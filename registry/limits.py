"""Rate limits (Flask-Limiter). Counters live in memory by default and in Redis when
`RATELIMIT_STORAGE_URI` names it (needed once the registry runs more than one process)."""

from __future__ import annotations

import os

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

SIGN_IN = "10 per minute"  # per address, on top of the per-account lockout

limiter = Limiter(get_remote_address, headers_enabled=True)


def limits_off() -> bool:
    """`RATE_LIMITS = False` turns limits off for one app (the test suite signs in a lot).
    Flask-Limiter's own switch is process-wide, which would leak between apps."""
    return not current_app.config.get("RATE_LIMITS", True)


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    )
    limiter.init_app(app)
