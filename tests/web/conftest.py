"""Browser tests share the API tests' two-zone world."""

from tests.api.conftest import client, world  # noqa: F401
