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
    note = ""
    if not accounts:  # print them anyway: whoever starts the demo needs them every time
        click.echo("The Tetouan demo is already there.")
        accounts = [(label, identifier) for label, identifier, _name, _roles in demo.ROLE_ACCOUNTS]
        note = ", unless DEMO_PASSWORD was different when the demo was created"
    click.echo("Demo accounts (password for all: %s%s):" % (demo.demo_password(), note))
    for role, identifier in accounts:
        click.echo(f"  {role:<28} {identifier}")
    click.echo("The committee members, the commune admin and the council bureau also need a second factor: at their\n"
               "first sign-in "
               "they scan a QR code (or type the key shown) into an authenticator app (Aegis, FreeOTP,\n"
               "Google Authenticator...), then enter its 6-digit code at every sign-in.")


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


# --- committee ranking (the maths: prioritization/aggregation.py) --------------------------------
prioritize = AppGroup("prioritize", help="Committee scoring and ranking of a round of projects.")
_CSV = click.Path(exists=True, dir_okay=False)


@prioritize.command("rank")
@click.option("--criteria", "criteria_path", required=True, type=_CSV,
              help="CSV with the header criterion,weight,kind (kind: scored or support).")
@click.option("--scores", "scores_path", required=True, type=_CSV,
              help="CSV with the header member,project,criterion,score (score empty or 'recused': a recusal).")
@click.option("--projects", "projects_path", type=_CSV,
              help="CSV with the header project,supports,cost (default: the projects in the scores, 0 supports).")
@click.option("--normalize", type=click.Choice(["none", "zscore"]), default="none", show_default=True,
              help="Per-member z-score normalisation of the scores.")
@click.option("--top-k", type=click.IntRange(min=1), default=None,
              help="Also run the 1,000-draw weight-sensitivity analysis for the top K.")
@click.option("--seed", "seed_value", type=int, default=0, show_default=True,
              help="Random seed of the sensitivity analysis.")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
def prioritize_rank(criteria_path: str, scores_path: str, projects_path: str | None, normalize: str,
                    top_k: int | None, seed_value: int, as_json: bool) -> None:
    """Rank projects from committee scores; a bad file exits 2 naming the file and line."""
    from prioritization import csvio, report
    from prioritization.aggregation import AggregationError, aggregate, sensitivity

    try:
        data = csvio.read_round(criteria_path, scores_path, projects_path)
        ranking = aggregate(data.criteria, data.projects, data.scores, normalize=normalize)
    except AggregationError as err:
        click.echo(f"Error: {err}", err=True)
        raise SystemExit(2) from None
    stability = sensitivity(ranking, top_k=top_k, seed=seed_value) if top_k else None
    click.echo(report.as_json(ranking, stability) if as_json else report.as_text(ranking, stability))


# --- participatory-budgeting rules on Pabulib files (the maths: prioritization/rules.py) ----------
pb = AppGroup("pb", help="Participatory-budgeting rules on Pabulib (.pb) files.")


@pb.command("outcome")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--rule", type=click.Choice(["greedy", "greedy-no-skip", "greedy-threshold", "mes", "mes-add1",
                                           "mes-add1-comparison"]),
              help="The rule (default: the file's own META `rule`).")
@click.option("--lenient-limits", is_flag=True,
              help="Count ballots outside the META limits instead of refusing the file.")
@click.option("--json", "as_json", is_flag=True, help="Print {rule, selected, total_cost} as JSON.")
def pb_outcome(path: str, rule: str | None, lenient_limits: bool, as_json: bool) -> None:
    """Compute the outcome of a participatory-budgeting rule on a Pabulib file.

    A malformed file exits 2 with "FILE line N: message" on stderr; a rule that cannot be applied
    to the file (or a file whose own rule is not one of ours, without --rule) exits 2 too."""
    import json

    from prioritization import pabulib, rules

    try:
        instance = pabulib.parse(path, strict_limits=not lenient_limits)
    except pabulib.PabulibError as err:
        click.echo(f"{path} line {err.line}: {err.message}", err=True)
        raise SystemExit(2) from None
    except (OSError, UnicodeDecodeError) as err:
        click.echo(f"{path}: cannot read the file ({err})", err=True)
        raise SystemExit(2) from None
    if instance.limit_violations:
        first = instance.limit_violations[0]
        click.echo(f"{path}: {len(instance.limit_violations)} ballot(s) outside the META limits, counted anyway "
                   f"(first: line {first.line}: {first.message})", err=True)
    try:
        result = rules.outcome(instance, rule)
    except rules.RuleError as err:
        click.echo(f"{path}: {err}", err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    click.echo(f"rule: {result.rule}")
    click.echo(f"selected ({len(result.selected)}, in selection order): {', '.join(result.selected)}")
    click.echo(f"total cost: {result.total_cost} of {instance.meta['budget']}")


@pb.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--commune", "slug", required=True, help="The commune (slug) the round belongs to.")
@click.option("--lenient-limits", is_flag=True,
              help="Keep ballots outside the META limits instead of refusing the file.")
@click.option("--compare/--no-compare", default=True, show_default=True,
              help="Run every rule on the round now and store the result for its public page.")
def pb_import(path: str, slug: str, lenient_limits: bool, compare: bool) -> None:
    """Load a Pabulib file as a support round of a commune (projects and anonymous ballots).

    The file is validated first; a malformed file exits 2 with "FILE line N: message" and nothing
    is stored. Voter ids and per-voter columns (age, sex, ...) are not kept."""
    import os
    import sys

    from sqlalchemy import select

    from extensions import db
    from models import Commune
    from prioritization import pabulib
    from services import support_rounds

    commune = db.session.scalar(select(Commune).where(Commune.slug == slug))
    if commune is None:
        click.echo(f"no commune with the slug {slug!r}", err=True)
        raise SystemExit(2)
    try:
        instance = pabulib.parse(path, strict_limits=not lenient_limits)
    except pabulib.PabulibError as err:
        click.echo(f"{path} line {err.line}: {err.message}", err=True)
        raise SystemExit(2) from None
    except (OSError, UnicodeDecodeError) as err:
        click.echo(f"{path}: cannot read the file ({err})", err=True)
        raise SystemExit(2) from None
    with click.progressbar(length=len(instance.ballots), label="ballots", file=sys.stderr) as bar:
        round_ = support_rounds.import_instance(commune, instance, source=f"import: {os.path.basename(path)}",
                                                progress=bar.update)
    if compare:
        from services import pb_rounds

        click.echo("running every rule on the round (stored for its public page)…", err=True)
        pb_rounds.store_comparison(round_)
    db.session.commit()
    click.echo(f"support round {round_.id}: {len(instance.projects)} projects, {len(instance.ballots)} ballots "
               f"({instance.vote_type}) imported into {commune.slug}")


@pb.command("export")
@click.argument("round_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="File to write (default: standard output).")
def pb_export(round_id: int, output: str | None) -> None:
    """Write a support round in the Pabulib format (anonymous voter ids 1..n, no personal data)."""
    from prioritization import pabulib
    from services import support_rounds

    round_ = support_rounds.get(round_id)
    if round_ is None:
        click.echo(f"no support round {round_id}", err=True)
        raise SystemExit(2)
    text = pabulib.write(support_rounds.to_instance(round_))
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        click.echo(f"support round {round_id} written to {output}", err=True)
    else:
        click.echo(text, nl=False)


@pb.command("compare")
@click.argument("round_id", type=int)
def pb_compare(round_id: int) -> None:
    """Run every rule on a support round and store the comparison its public page shows."""
    from extensions import db
    from services import pb_rounds, support_rounds

    round_ = support_rounds.get(round_id)
    if round_ is None:
        click.echo(f"no support round {round_id}", err=True)
        raise SystemExit(2)
    result = pb_rounds.store_comparison(round_)
    db.session.commit()
    for column in result.columns:
        click.echo(f"{column.rule:<22} {len(column.selected):>4} projects  {column.total_cost}")


# --- e-mail digests of notifications (services/mailer.py) ----------------------------------------
mail = AppGroup("mail", help="E-mail digests of notifications.")


def _echo_pass(result) -> None:
    if not result.configured:
        click.echo("No MAIL_SERVER configured: nothing sent (notifications stay in-app).")
        return
    click.echo(f"mail: {result.sent} sent, {result.retry} to retry, {result.failed} failed, "
               f"{result.cancelled} cancelled")


@mail.command("send")
def mail_send() -> None:
    """One pass: send the digests that are due, then exit (e.g. from cron every few minutes)."""
    from services import mailer

    _echo_pass(mailer.send_pending())


@mail.command("worker")
@click.option("--interval", type=click.IntRange(min=1), default=None,
              help="Seconds between passes (default: MAIL_WORKER_INTERVAL, 60).")
@click.option("--passes", type=click.IntRange(min=1), default=None, help="Stop after this many passes.")
def mail_worker(interval: int | None, passes: int | None) -> None:
    """Send digests in a loop (a long-running service); several workers may run at once."""
    from flask import current_app

    from services import mailer

    app = current_app._get_current_object()
    seconds = interval or app.config["MAIL_WORKER_INTERVAL"]
    click.echo(f"mail worker: a pass every {seconds}s (Ctrl-C to stop)")
    try:
        done = mailer.run_worker(app, seconds, passes=passes)
    except KeyboardInterrupt:
        return
    click.echo(f"mail worker: {done} passes")


# --- retention of personal data (law 09-08; services/retention.py) -------------------------------
retention_group = AppGroup("retention", help="Retention periods of personal data (law 09-08).")


@retention_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
def retention_apply(dry_run: bool) -> None:
    """Purge what each commune's retention periods (or the platform defaults) say has expired."""
    from extensions import db
    from services import personal_data  # noqa: F401  (every area's kinds are registered on import)
    from services import retention

    results = retention.apply(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would purge" if dry_run else "purged"
    for item in results:
        click.echo(f"{item.kind.code:<28} {verb} {item.count}")
    click.echo(f"total {verb} {sum(item.count for item in results)}")


# --- backups (services/backup.py; README "Backups and restore") ------------------------------------

@click.command("backup")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Directory for the backup (default: the instance folder's backups/).")
@click.option("--name", default=None, help="Base name of the files (default: tasharuk-<UTC time>).")
def backup_command(directory: str | None, name: str | None) -> None:
    """Back up the database (SQLite online backup API or pg_dump -Fc), verified, with a manifest."""
    import os

    from flask import current_app

    from extensions import db
    from services import backup as backup_service

    directory = directory or os.path.join(current_app.instance_path, "backups")
    try:
        result = backup_service.backup(db.engine.url, directory, name)
    except backup_service.BackupError as err:
        click.echo(f"backup FAILED: {err}", err=True)
        raise SystemExit(1) from None
    manifest = result.manifest
    click.echo(f"backup written and verified: {result.path} ({manifest['file_bytes']} bytes, "
               f"{len(manifest['tables'])} tables, {manifest['total_rows']} rows)")
    click.echo(f"manifest: {result.manifest_path}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the whole database by a backup, then check it against the backup's manifest.

    Stop the application first: connections open during a restore would see it half-way."""
    from extensions import db
    from services import backup as backup_service

    url = db.engine.url
    if not yes:
        click.confirm(f"Replace every row of {url.render_as_string(hide_password=True)} by {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        manifest = backup_service.restore(url, path)
    except backup_service.BackupError as err:
        click.echo(f"restore FAILED: {err}", err=True)
        raise SystemExit(1) from None
    finally:
        db.engine.dispose()
    click.echo(f"restored {path} (taken {manifest['created_at']}): {len(manifest['tables'])} tables, "
               f"{manifest['total_rows']} rows; every count and checksum matches the manifest")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_group)
    app.cli.add_command(mail)
    app.cli.add_command(seed)
    app.cli.add_command(audit)
    app.cli.add_command(prioritize)
    app.cli.add_command(pb)
