"""Flask CLI commands: `flask seed demo`, `flask audit verify` (tested through app.test_cli_runner())."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

seed = AppGroup("seed", help="Load demonstration data.")
audit = AppGroup("audit", help="The hash-chained audit log.")


@seed.command("demo")
@click.option("--ideas", default=300, show_default=True, help="How many ideas to generate.")
@click.option("--seed-value", default=2023, show_default=True, help="Random seed (the demo is deterministic).")
def seed_demo(ideas: int, seed_value: int) -> None:
    """Create the Tetouan commune, its PAC 2023–2028 and demo accounts (idempotent)."""
    from extensions import db
    from services import demo

    accounts = demo.seed_tetouan(n_ideas=ideas, seed=seed_value)
    db.session.commit()
    if accounts:
        click.echo("Demo accounts (password for all: %s):" % demo.demo_password())
        for role, identifier in accounts:
            click.echo(f"  {role:<28} {identifier}")
    else:
        click.echo("The Tetouan demo is already there.")


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit 1 and name the first bad entry if it was tampered with."""
    from services import audit as audit_service

    result = audit_service.verify()
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries verified")
        return
    click.echo(f"audit log TAMPERED: entry {result.first_bad_id}: {result.problem} "
               f"({result.checked} entries verified before it)", err=True)
    raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(audit)
