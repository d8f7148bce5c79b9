"""Tenancy: the Cooperative, resolving the current one from the URL, and scoping every query to it."""
