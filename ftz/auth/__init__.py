"""Accounts, roles, login sessions and API tokens; and the caller's scope (``scope.py``), the
one place that decides which operators' records a caller may see."""
