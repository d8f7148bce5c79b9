"""The cooperative's business units: the shop (toko/waserda) and the pesantren's own products
(RULES.md §3): catalogue, suppliers and customers, purchases, sales, perpetual stock at moving
average. Every money movement posts through ``koppontren.ledger.posting``; inventory lines carry
the ``product`` subledger, which only this package writes (through stock moves).
"""
