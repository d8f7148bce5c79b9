"""Placeholder: reconciliation figures come next."""
