"""Members' money: simpanan pokok, wajib and sukarela (RULES.md §2).

Every movement posts through ``koppontren.ledger.posting``; every balance is read back from the
ledger's member subledger (accounts with the roles ``savings_principal``, ``savings_mandatory`` and
``savings_voluntary``). The tables here hold only what the ledger cannot: the settings, the months a
wajib payment covers, and the receipt (kwitansi) of each transaction.
"""
