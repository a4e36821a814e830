"""Discrepancies and the runs that find them: a run reads the ledger, calls the engine, and
records what it found in one transaction, keeping each finding's identity across nights
and never touching an auditor's decision."""
