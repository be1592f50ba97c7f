"""The ``remediate`` command line: parse arguments, call the library, render.

This package is the one error boundary. Library code raises
``remediate.errors.RemediateError``; :class:`RemediateGroup` turns it into one
line on stderr and the error's exit code. ^C exits 130. Anything unexpected
prints a short notice (the traceback only with ``--debug``) and exits 3.

Each command lives in a module of this package and imports the library it
needs inside the function, so ``remediate --help`` stays fast.
"""

import logging
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from remediate import __version__
from remediate.errors import RemediateError

EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


class RemediateGroup(TyperGroup):
    """The root command group; its ``invoke`` is the CLI's single error boundary."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except RemediateError as exc:
            _error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            if _debug(ctx):
                raise
            if type(exc).__module__.startswith("sqlalchemy."):
                # A database that fails mid-command (corrupt pages, read-only file): one line.
                from remediate.store import database_error

                error = database_error(exc)  # type: ignore[arg-type]
                _error(str(error))
                raise typer.Exit(error.exit_code) from None
            _error(
                f"unexpected error: {exc.__class__.__name__}: {exc} "
                "(run with --debug for the traceback, and please report it)"
            )
            raise typer.Exit(EXIT_UNEXPECTED) from None


def _error(message: str) -> None:
    from remediate.secrets import scrub, secret_values

    # Connectors and channels scrub their own errors; this is the last line of defence.
    typer.echo(f"remediate: error: {scrub(message, secret_values(os.environ))}", err=True)


class _ScrubbingFormatter(logging.Formatter):
    """Log lines on stderr go through the secret scrubber too (warnings quote servers)."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        from remediate.secrets import scrub

        return scrub(super().format(record), self.secrets)


def _debug(ctx: typer.Context) -> bool:
    return bool((ctx.obj or {}).get("debug")) or os.environ.get("REMEDIATE_DEBUG") == "1"


app = typer.Typer(
    name="remediate",
    cls=RemediateGroup,
    help="Make postmortem action items actually get done: parse, sync to a tracker, follow up.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"remediate {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="REMEDIATE_DEBUG", help="Show tracebacks and debug logs."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")] = False,
) -> None:
    """Make postmortem action items actually get done."""
    ctx.obj = {"debug": debug, "quiet": quiet}
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING
    from remediate.secrets import secret_values

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ScrubbingFormatter("remediate: %(levelname)s: %(message)s", secret_values(os.environ)))
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("remediate").setLevel(level)


# Command modules register themselves on ``app`` when imported.
from remediate.cli import hooks as _hooks  # noqa: E402,F401
from remediate.cli import parse as _parse  # noqa: E402,F401
from remediate.cli import reports as _reports  # noqa: E402,F401
from remediate.cli import service as _service  # noqa: E402,F401
from remediate.cli import setup as _setup  # noqa: E402,F401
from remediate.cli import sync as _sync  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app(prog_name="remediate")
