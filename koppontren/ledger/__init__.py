"""The double-entry ledger: chart of accounts, posting and reversal, periods and closing, integrity.

``posting.post_entry`` and ``posting.reverse`` are the only code in the project that writes journal
entries and lines (DESIGN.md §3 "Ledger rules"). This package imports no domain package; domain
packages plug their subledgers, reversal guards, reserved accounts and checks in through their
``wiring.register``, called once by ``create_app`` (``koppontren/wiring.py``).
"""
