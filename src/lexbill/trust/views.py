"""Trust pages."""
