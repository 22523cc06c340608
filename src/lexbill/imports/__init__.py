"""Bringing a firm's data in from CSV and Excel: column mapping, dry run, all-or-nothing commit."""
