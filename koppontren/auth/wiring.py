"""Auth's hook: the check of the user's roles behind every cooperative page (``tenancy.current``
resolves the cooperative; this says whether the user may see it). (Called through :mod:`koppontren.wiring`.)"""

from __future__ import annotations

from koppontren.auth import permissions


def register(wiring) -> None:
    wiring.coop_page_roles("auth", permissions.load_roles)
