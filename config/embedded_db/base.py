"""Django's PostgreSQL backend, pointed at the embedded server once it is running."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from config.embedded_db.server import socket_directory


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        # The host is known only once the server runs. The project's database is created then; test
        # databases (test_scf, test_scf_gw0 …) live on the same server and are made by the test runner.
        if not self.settings_dict["HOST"]:
            self.settings_dict["HOST"] = socket_directory(self.settings_dict["EMBEDDED_DATABASE"])
        return super().get_connection_params()
