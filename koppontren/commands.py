"""What every command module shares (the ``koppontren`` group in ``cli`` and each package's own
``cli``): one way to fail with a clear line and exit 1."""

from __future__ import annotations

import click

from koppontren.errors import DomainError


def fail(err: DomainError | str) -> None:
    """Stop the command with ``err``'s message (and its code): one clear line, exit status 1."""
    message = str(err.message) if isinstance(err, DomainError) else err
    code = f" [{err.code}]" if isinstance(err, DomainError) else ""
    raise click.ClickException(f"{message}{code}")
