"""Customs holds on lots: no part of a held lot may leave until the hold is released."""
