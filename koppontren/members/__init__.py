"""The members' register (buku daftar anggota), the member import and the member portal.

Members are the ``member`` subledger of the ledger: ``services.register_subledger()`` plugs them in
at start-up, so journal lines on member accounts can name a member of the same cooperative.
"""
