"""The shop's blueprint (pages under ``/<coop>/shop/…``). The page modules — the cashier's POS,
the back office (catalogue, purchases, stock), consignment and the cashiers' daily close — add
their routes to it; views parse, call one shop service and render, refusals (ShopError) are shown
on the form and nothing is written."""

from __future__ import annotations

from koppontren.tenancy.current import coop_blueprint

coop_bp = coop_blueprint("shop", __name__)
