"""The reconciliation engine: pure functions over pandas DataFrames.

It imports nothing from ``ftz``, the web or the database, so the same code can run on one
machine or partitioned by zone or operator. ``units`` lives here because both the engine
and the importer convert quantities with it.
"""
