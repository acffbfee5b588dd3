"""Satchel's domain core: vault, library, progress, search, trust, panic wipe, settings
and the command line. Nothing here imports Qt."""

__version__ = "0.1.0"
