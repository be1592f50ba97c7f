"""``remediate sync``, ``refresh``, ``status``, ``item`` and ``db``: the state-keeping commands."""

import enum
from datetime import date
from typing import Annotated

import typer

from remediate.cli import app
from remediate.cli.options import ConfigOption, DbOption, ProjectOption, RepoOption, SetOption, connector_options

TrackerOption = Annotated[
    str | None,
    typer.Option(
        "--tracker",
        "-t",
        help="Connector to sync with (default: the config's `tracker`, else local).",
        show_default=False,
    ),
]


class ListFormat(enum.StrEnum):
    """Output formats of sync and status."""

    table = "table"
    json = "json"


FormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]


@app.command()
def sync(
    paths: Annotated[list[str], typer.Argument(help="Postmortem files, directories (all postmortems below) or -.")],
    tracker: TrackerOption = None,
    repo: RepoOption = None,
    project: ProjectOption = None,
    set_: SetOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing, anywhere.")] = False,
    write_back: Annotated[
        bool, typer.Option("--write-back", help="Write each item's ticket reference into the postmortem.")
    ] = False,
    format: FormatOption = ListFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Create each action item's ticket exactly once, update changed ones, and bring states back."""
    from remediate.cli import render
    from remediate.jobs import SyncRequest, sync_paths
    from remediate.settings import load_settings

    request = SyncRequest(
        database_url=db,
        tracker=tracker,
        options=connector_options(set_, repo, project),
        dry_run=dry_run,
        write_back=write_back,
    )
    outcome = sync_paths(paths, load_settings(config), request)
    render.sync_outcome(outcome, format)


@app.command()
def refresh(
    tracker: TrackerOption = None,
    repo: RepoOption = None,
    project: ProjectOption = None,
    set_: SetOption = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Read every ticket, not only those changed since the last refresh (finds deletions)."
        ),
    ] = False,
    format: FormatOption = ListFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Bring ticket states back from the tracker, without reading any postmortem."""
    from remediate.cli import render
    from remediate.jobs import refresh_states
    from remediate.settings import load_settings

    changes = refresh_states(
        load_settings(config),
        database_url=db,
        tracker=tracker,
        options=connector_options(set_, repo, project),
        full=full,
    )
    render.state_changes(changes, format)


@app.command()
def status(
    items: Annotated[bool, typer.Option("--items", help="List every item, not just totals.")] = False,
    postmortem: Annotated[
        str | None, typer.Option("--postmortem", "-p", help="Only this postmortem id.", show_default=False)
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Count overdue items as of this date (YYYY-MM-DD).", show_default=False),
    ] = None,
    format: FormatOption = ListFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Show each postmortem's items: done, open, overdue and percent complete."""
    from remediate.cli import render
    from remediate.reports.status import item_statuses, postmortem_statuses
    from remediate.settings import load_settings
    from remediate.store import open_store

    settings = load_settings(config)
    day = _parse_date(as_of) if as_of else settings.today()
    # Looking creates nothing.
    with open_store(db or settings.database_url, create=False) as store, store.session() as session:
        totals = postmortem_statuses(session, as_of=day, postmortem=postmortem)
        rows = item_statuses(session, as_of=day, postmortem=postmortem) if items else None
        gone = item_statuses(session, as_of=day, postmortem=postmortem, gone_only=True)
    render.status(totals, rows, format, gone=gone)


def _parse_date(value: str) -> date:
    from remediate.errors import ConfigError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r} is not a date (expected YYYY-MM-DD)") from None


item_app = typer.Typer(help="Change an item's state on the built-in local tracker.", no_args_is_help=True)
app.add_typer(item_app, name="item")

ItemArgument = Annotated[str, typer.Argument(help="Item id (or a unique prefix), from `remediate status --items`.")]
NoteOption = Annotated[str | None, typer.Option("--note", help="Why, recorded in the history.", show_default=False)]


def _set(item_id: str, state: str, note: str | None, config: object, db: str | None) -> None:
    from remediate.connectors import Status
    from remediate.local import set_item_status
    from remediate.settings import load_settings
    from remediate.store import open_store

    settings = load_settings(config)  # type: ignore[arg-type]
    with open_store(db or settings.database_url, create=False) as store:  # no database: no such item
        full_id, old, new = set_item_status(store, item_id, Status(state), note=note)
    typer.echo(f"{full_id}: {old} -> {new}")


@item_app.command("done")
def item_done(item_id: ItemArgument, note: NoteOption = None, config: ConfigOption = None, db: DbOption = None) -> None:
    """Mark an item done."""
    _set(item_id, "done", note, config, db)


@item_app.command("reopen")
def item_reopen(
    item_id: ItemArgument, note: NoteOption = None, config: ConfigOption = None, db: DbOption = None
) -> None:
    """Reopen an item."""
    _set(item_id, "open", note, config, db)


@item_app.command("wont-do")
def item_wont_do(
    item_id: ItemArgument, note: NoteOption = None, config: ConfigOption = None, db: DbOption = None
) -> None:
    """Close an item without doing it (won't do)."""
    _set(item_id, "not_doing", note, config, db)


@item_app.command("start")
def item_start(
    item_id: ItemArgument, note: NoteOption = None, config: ConfigOption = None, db: DbOption = None
) -> None:
    """Mark an item in progress."""
    _set(item_id, "in_progress", note, config, db)


@app.command()
def dedupe(
    tracker: TrackerOption = None,
    repo: RepoOption = None,
    project: ProjectOption = None,
    set_: SetOption = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Close every ticket but the linked one as a duplicate, with a comment.")
    ] = False,
    format: FormatOption = ListFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Find items with more than one ticket (two syncs on separate databases); --apply closes the extras."""
    from remediate.cli import render
    from remediate.jobs import find_duplicates
    from remediate.settings import load_settings

    outcome = find_duplicates(
        load_settings(config),
        database_url=db,
        tracker=tracker,
        options=connector_options(set_, repo, project),
        apply=apply,
    )
    if format == "json":
        render.emit_json(outcome.to_json())
        return
    for duplicate in outcome.duplicates:
        typer.echo(duplicate.describe() + ("" if apply else f"; keep {duplicate.keep.key}"))
    if apply:
        typer.echo(f"closed {len(outcome.closed)} duplicate ticket(s) on {outcome.tracker}")
    elif outcome.duplicates:
        typer.echo(
            f"{len(outcome.duplicates)} of {outcome.scanned} item(s) have more than one ticket on {outcome.tracker}; "
            "`remediate dedupe --apply` closes the extra ones as duplicates"
        )
    else:
        typer.echo(f"{outcome.scanned} item(s): no duplicate tickets on {outcome.tracker}")


db_app = typer.Typer(help="The state database: where it is and its schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, db: DbOption = None) -> None:
    """Create the database or migrate it to the newest schema."""
    from remediate.jobs import upgrade_database
    from remediate.settings import load_settings
    from remediate.store import display_url, resolve_url

    url = resolve_url(db or load_settings(config).database_url)
    before, after, filled = upgrade_database(url)
    keyed = f"; {filled} item(s) given their recurrence keys" if filled else ""
    if before == after:
        typer.echo(f"{display_url(url)}: schema {after}, up to date{keyed}")
    else:
        typer.echo(f"{display_url(url)}: schema {before or 'none'} -> {after}{keyed}")


@db_app.command("path")
def db_path(config: ConfigOption = None, db: DbOption = None) -> None:
    """Print the database URL in use (password hidden), to find it or back it up."""
    from remediate.settings import load_settings
    from remediate.store import display_url, resolve_url

    typer.echo(display_url(resolve_url(db or load_settings(config).database_url)))


@db_app.command("check")
def db_check(config: ConfigOption = None, db: DbOption = None) -> None:
    """Check the database: schema revision, tables and columns, and (SQLite) file integrity. Exit 2 if damaged."""
    from remediate.jobs import check_database
    from remediate.settings import load_settings

    shown, problems = check_database(load_settings(config), database_url=db)
    for problem in problems:
        typer.echo(f"{shown}: {problem}", err=True)
    if problems:
        from remediate.store import RESTORE_HINT

        typer.echo(
            f"{shown}: {len(problems)} problem(s); {RESTORE_HINT}",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(f"{shown}: ok")


@db_app.command("rebuild")
def db_rebuild(
    paths: Annotated[list[str], typer.Argument(help="The postmortems, as given to `remediate sync`.")],
    tracker: TrackerOption = None,
    repo: RepoOption = None,
    project: ProjectOption = None,
    set_: SetOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Set aside a database that still holds items or is damaged.")
    ] = False,
    format: FormatOption = ListFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Rebuild a lost or damaged database from the documents and the tickets' markers; creates nothing."""
    from remediate.cli import render
    from remediate.jobs import rebuild_database
    from remediate.settings import load_settings

    outcome = rebuild_database(
        paths,
        load_settings(config),
        database_url=db,
        tracker=tracker,
        options=connector_options(set_, repo, project),
        force=force,
    )
    if format == "json":
        render.emit_json(outcome.to_json())
        return
    if outcome.set_aside:
        typer.echo(f"the old database is kept at {outcome.set_aside}")
    typer.echo(
        f"{outcome.database}: {len(outcome.plan.actions)} item(s) in {len(outcome.plan.documents)} postmortem(s); "
        f"{outcome.adopted} ticket(s) found on {outcome.plan.tracker} by marker and linked, "
        f"{len(outcome.not_found)} not on the tracker (the next `remediate sync` creates them), "
        f"{len(outcome.state_changes)} state(s) read back"
    )
    render.warnings(outcome.warnings)
