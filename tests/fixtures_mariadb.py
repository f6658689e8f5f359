"""The ``mariadb`` fixture: one throwaway MariaDB server for the whole test session.

It is a real server (``mariadbd`` in a temporary directory on a free loopback
port), not a fake. When the binaries are missing the fixture errors with the
Debian package names instead of skipping, so CI cannot pass without the tests.
"""

from __future__ import annotations

import pytest

from retail_lake.mariadb import MariaDBServer


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A started :class:`MariaDBServer` with database ``retail`` and a password user."""
    server = MariaDBServer(base_dir=tmp_path_factory.mktemp("mariadb"))
    server.start()
    yield server
    server.stop()
