"""Clamor: a self-hosted social listening and response desk."""

__version__ = "0.1.0"
