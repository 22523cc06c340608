"""Pure readers and writers of billing formats: bytes in, domain values out, and back."""
