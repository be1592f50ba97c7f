"""The exceptions remediate raises, one tree for the library and the CLI.

::

    RemediateError                  anything remediate expects and can explain
    ├── InputError                  a document or path that cannot be read (exit 2)
    ├── ConfigError                 a config file or option that is wrong (exit 2)
    ├── StoreError                  the database cannot be opened, or is too new
    │   └── DatabaseDamaged         the database is corrupt, incomplete or read-only (exit 2)
    ├── SyncError                   the sync engine refused to go on (e.g. an id clash)
    ├── DeliveryError               a digest could not be delivered (SMTP, Slack, webhook)
    └── ConnectorError              a tracker said no, or could not be reached
        ├── AuthError               credentials missing or refused
        ├── NotFound                the repository, project or ticket does not exist
        ├── RateLimited             the tracker asked us to slow down (retry_after)
        ├── Conflict                the tracker rejected the write as invalid
        └── Unavailable             the tracker kept failing (5xx, network)

Library code raises these and never exits; ``remediate.cli`` is the one place
that turns them into a line on stderr and an exit code. Messages say what went
wrong and what to do next, and never contain a secret.
"""

from __future__ import annotations


class RemediateError(Exception):
    """Base of every error remediate expects; ``str()`` is the one-line message."""

    exit_code = 1


class InputError(RemediateError):
    """A path or document that cannot be read as a postmortem."""

    exit_code = 2

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


class ConfigError(RemediateError):
    """A configuration file, option or environment variable that is wrong."""

    exit_code = 2


class StoreError(RemediateError):
    """The database cannot be opened, migrated or written."""


class DatabaseDamaged(StoreError):
    """The database is corrupt, lacks tables or columns, or cannot be written: fix it, then rerun.

    Nothing is sent to a tracker once this is raised at start-up, so no ticket is created that the
    database could not record.
    """

    exit_code = 2


class SyncError(RemediateError):
    """The sync engine found something it must not paper over."""


class DeliveryError(RemediateError):
    """A digest could not be delivered: the SMTP server or webhook refused it or was unreachable."""


class ConnectorError(RemediateError):
    """A tracker refused a request or could not be reached.

    ``status`` is the HTTP status the tracker answered, when one did (401, 403, 404...), so that
    callers such as ``remediate doctor`` can say what kind of failure it was.
    """

    status: int | None = None

    def __init__(self, message: str, *, tracker: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.tracker = tracker
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        message = str(self.args[0]) if self.args else self.__class__.__name__
        return f"{self.tracker}: {message}" if self.tracker else message


class AuthError(ConnectorError):
    """Credentials are missing or were refused; the message names the variable to set."""


class NotFound(ConnectorError):
    """The repository, project or ticket does not exist or is not visible."""


class RateLimited(ConnectorError):
    """The tracker asked us to wait ``retry_after`` seconds (None when it did not say)."""

    def __init__(self, message: str, *, tracker: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, tracker=tracker)
        self.retry_after = retry_after


class Conflict(ConnectorError):
    """The tracker rejected a write as invalid (a 4xx validation error)."""


class Unavailable(ConnectorError):
    """The tracker kept failing after retries (5xx or network errors)."""
