"""Denied parties (contract section 7): the parties list as versioned reference data, screening."""
