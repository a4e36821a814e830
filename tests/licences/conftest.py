"""The register's API and page are tested in the API tests' two-zone world."""

from tests.api.conftest import client, world  # noqa: F401
