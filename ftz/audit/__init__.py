"""The audit trail: an append-only chain of events, each holding the hash of the one before,
so that an edited, removed or inserted event breaks the chain where it happened."""
