"""Errors that mean "the user's input is wrong", shown as one line and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a malformed file, an unknown slug, an invalid option value."""


class SnapshotError(InputError):
    """The snapshot document is malformed, foreign or of an unsupported version."""


class UnknownCheckError(InputError):
    """A check slug that is not in the catalogue."""


class ServiceUnavailable(Exception):
    """Azure could not be read: throttled (429), failing (5xx) or unreachable, after the SDK's retries.

    Not an input error: the same command may well work in a minute, and a script must not treat it as a
    mistake to fix. The run saw no data, so it ends as "data incomplete" (exit 3), with the reason.
    """
