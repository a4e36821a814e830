"""The ledger: operators' stock movements, customs entries and stock counts, append-only.

Nothing here is changed in place. A correction is a new movement naming the one it
corrects (``corrects_ref``), an amendment a new version of a customs item; what is current
is derived when read, so the history stays exactly as it was received.
"""
