"""Ingestion: reading operators' and customs' files, validating every row, storing all or nothing.

A file is read in chunks (bounded memory), every field of every row is checked with
vectorised pandas operations, rows are staged in a temporary table, cross-row checks run
in SQL there, and only a file without a single error reaches the ledger, in one
transaction. The raw file is kept, named by its sha256.
"""
