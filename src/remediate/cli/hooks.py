"""``remediate hooks install``: register the tracker's webhook, or print the admin's steps."""

import enum
from typing import Annotated

import typer

from remediate.cli import app
from remediate.cli.options import ConfigOption, ProjectOption, RepoOption, SetOption, connector_options

hooks_app = typer.Typer(help="Webhooks from the tracker to `remediate schedule --http`.", no_args_is_help=True)
app.add_typer(hooks_app, name="hooks")


class HookFormat(enum.StrEnum):
    """Output formats of hooks install."""

    text = "text"
    json = "json"


@hooks_app.command("install")
def install(
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="Public address of the service's receiver, e.g. https://remediate.example.com/hooks/github.",
            show_default=False,
        ),
    ],
    tracker: Annotated[
        str | None,
        typer.Option("--tracker", "-t", help="Tracker (default: the config's `tracker`).", show_default=False),
    ] = None,
    repo: RepoOption = None,
    project: ProjectOption = None,
    set_: SetOption = None,
    rotate_secret: Annotated[
        bool,
        typer.Option(
            "--rotate-secret",
            help="Send the secret again to an existing webhook (trackers never show it, so a change cannot be seen).",
        ),
    ] = False,
    format: Annotated[
        HookFormat, typer.Option("--format", "-f", case_sensitive=False, help="Output format.")
    ] = HookFormat.text,
    config: ConfigOption = None,
) -> None:
    """Register the webhook for URL on the tracker (idempotent: found by URL), or print the admin's steps.

    The secret is the tracker's REMEDIATE_<TRACKER>_WEBHOOK_SECRET, the one the service verifies
    deliveries with; it is sent to the tracker and never printed.
    """
    from remediate.cli import render
    from remediate.jobs import install_hooks
    from remediate.settings import load_settings

    options = connector_options(set_, repo, project)
    result = install_hooks(load_settings(config), url, tracker=tracker, options=options, rotate_secret=rotate_secret)
    for warning in result.warnings:
        typer.echo(f"remediate: warning: {warning}", err=True)
    if format == HookFormat.json:
        render.emit_json(result.to_json())
        return
    where = f"the webhook {result.hook_id} of {result.target}"
    if result.action == "created":
        typer.echo(f"{result.tracker}: created {where}: issues events go to {result.url}")
    elif result.action == "updated":
        typer.echo(f"{result.tracker}: updated {where} ({', '.join(result.changed)}): issues events go to {result.url}")
    elif result.action == "unchanged":
        typer.echo(f"{result.tracker}: {where} already sends issues events to {result.url}; nothing changed")
    else:
        typer.echo(result.instructions)
