"""The members' register (buku daftar anggota). Its pages, the member import and the member portal,
which also read savings and SHU, live above in ``koppontren.membership``.

Members are the ``member`` subledger of the ledger: ``wiring.register`` plugs them in
at start-up, so journal lines on member accounts can name a member of the same cooperative.
"""
