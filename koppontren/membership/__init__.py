"""The member pages that bring the register together with savings and SHU: the register and each
member's card (with their balances), the member import (members with their opening savings, from
a page or the command line) and the members' own portal (their savings, passbook, kwitansi and SHU
slips). Above ``members`` (the register itself), ``savings`` and ``shu``, which it reads.
"""
