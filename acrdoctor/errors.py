"""Errors that mean "the user's input is wrong", shown as one line and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a malformed file, an unknown slug, an invalid option value."""


class UnknownCheckError(InputError):
    """A check slug that is not in the catalogue."""
