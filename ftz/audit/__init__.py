"""The audit trail: an append-only chain of events, each holding the keyed hash of the one
before, so that an edited, removed or inserted event breaks the chain where it happened; and
the seals its events hold of the ledger rows they stored (ftz/audit/seal.py), so that a row
changed behind ftz's back is named too."""
