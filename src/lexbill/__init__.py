"""Lexbill: open-source legal billing."""

__version__ = "0.1.0"
