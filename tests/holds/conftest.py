"""Holds are tested in the API tests' two-zone world, and through the command line."""

from tests.api.conftest import client, world  # noqa: F401
