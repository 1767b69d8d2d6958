"""Typed errors of media decoding: one bad file is reported by reason and skipped, never fatal."""

from __future__ import annotations


class MediaError(Exception):
    """A file that cannot be decoded; the message says which file and why."""
