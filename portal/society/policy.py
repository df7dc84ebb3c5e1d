"""The one way to read the society's policy settings."""

from .models import SaccoSettings


def sacco_settings() -> SaccoSettings:
    """The society's settings (one row, created with its defaults on first read)."""
    return SaccoSettings.load()
