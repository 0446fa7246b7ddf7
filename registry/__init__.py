"""The Low-Emission Label Registry. `create_app` (registry/app.py) wires configuration,
extensions and blueprints; this file imports nothing, so that a command that needs no app
(`registry label verify`, the retailer's offline check) starts without loading Flask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The application (registry/app.py), configured from the environment and `overrides`."""
    from registry.app import create_app as factory

    return factory(overrides)
