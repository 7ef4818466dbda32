"""The error mutation calling raises for input it cannot use."""

from __future__ import annotations


class MutationInputError(ValueError):
    """Bad input to mutation calling.

    The message says what is wrong, where (the file and line when there is one) and how to
    fix it, so it can be shown to the user as it is.
    """
