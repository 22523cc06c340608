"""Billing rules kept free of Django so they can be proven with fast property tests."""
