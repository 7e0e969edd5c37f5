"""Flask CLI commands: `flask seed demo`, `flask audit verify`, `flask commune create`, `flask admin create`…
(tested through app.test_cli_runner())."""
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


# --- a commune, its plan and its first administrator (services/communes.py; README "Production deployment") ---
commune_group = AppGroup("commune", help="Communes of this deployment: create one with its action plan, list them.")
admin_group = AppGroup("admin", help="Commune administrators.")

# Service fields → the options people typed, so an error names the option to fix.
_OPTION_OF_FIELD = {
    "slug": "--slug", "name_ar": "--name-ar", "name_fr": "--name-fr", "name_zgh": "--name-zgh",
    "population": "--population", "cndp_reference": "--cndp-reference", "contact_email": "--contact-email",
    "plan_start": "--plan-start", "plan_end": "--plan-end", "plan_title_ar": "--plan-title-ar",
    "plan_title_fr": "--plan-title-fr", "plan_title_zgh": "--plan-title-zgh", "commune": "--commune",
    "email": "--email", "display_name": "--name", "password": "password",
}
ADMIN_PASSWORD_ENV = "TASHARUK_ADMIN_PASSWORD"  # nosec B105 - the name of a variable, not a password


def _system_user() -> str | None:
    """Who ran the command on the server (the person behind sudo), for the audit log."""
    import getpass
    import os

    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return None


def _refuse(exc, password_source: str = "password") -> None:
    """Roll back, print the service's message (English) naming the option, exit 1."""
    from flask_babel import force_locale

    from extensions import db

    db.session.rollback()
    with force_locale("en"):
        message = str(exc.message)
    option = password_source if exc.field == "password" else _OPTION_OF_FIELD.get(exc.field or "", exc.field)
    click.echo(f"Error: {option}: {message}" if option else f"Error: {message}", err=True)
    raise SystemExit(1)


@commune_group.command("create")
@click.option("--slug", required=True, help="Short name in the web addresses: lowercase a-z, digits, hyphens (tetouan).")
@click.option("--name-ar", required=True, help="Official name in Arabic (جماعة تطوان).")
@click.option("--name-fr", required=True, help="Official name in French (Commune de Tétouan).")
@click.option("--name-zgh", required=True, help="Official name in Amazigh, in Tifinagh letters (ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ).")
@click.option("--population", required=True, type=int, help="Population (latest census).")
@click.option("--arrondissements", is_flag=True, help="The commune has arrondissements (petitions then need 400 signatures).")
@click.option("--cndp-reference", required=True, help="The CNDP declaration or authorisation reference (law 09-08).")
@click.option("--contact-email", default=None, help="The commune's contact e-mail address.")
@click.option("--plan-start", required=True, type=int, help="First year of the action plan (2023).")
@click.option("--plan-end", type=int, default=None, help="Last year: always the first year + 5 (6 years, law 113-14 art. 78).")
@click.option("--plan-title-ar", default=None, help="The plan's title in Arabic (default: برنامج عمل <name> <years>).")
@click.option("--plan-title-fr", default=None, help="The plan's title in French (default: Programme d'action — <name> <years>).")
@click.option("--plan-title-zgh", default=None, help="The plan's title in Tifinagh (default: ⴰⵖⴰⵡⴰⵙ ⵏ ⵜⵉⴳⴰⵡ — <name> <years>).")
def commune_create(slug: str, name_ar: str, name_fr: str, name_zgh: str, population: int, arrondissements: bool,
                   cndp_reference: str, contact_email: str | None, plan_start: int, plan_end: int | None,
                   plan_title_ar: str | None, plan_title_fr: str | None, plan_title_zgh: str | None) -> None:
    """Create a commune with its 6-year action plan and the plan's six phases (no axes, people or ideas).

    The phases get a default calendar (services.communes.default_phase_dates) that an administrator
    adjusts on the web. Refused (exit 1, nothing written) if the slug is taken or a value is wrong."""
    from flask import current_app

    from extensions import db
    from services import communes, phases
    from services.errors import ServiceError

    data = communes.NewCommune(
        slug=slug, name_ar=name_ar, name_fr=name_fr, name_zgh=name_zgh, population=population,
        has_arrondissements=arrondissements, cndp_reference=cndp_reference, contact_email=contact_email,
        plan_start=plan_start, plan_end=plan_end, plan_title_ar=plan_title_ar, plan_title_fr=plan_title_fr,
        plan_title_zgh=plan_title_zgh)
    today = phases.today()
    try:
        commune, plan = communes.create_commune(data, reserved=communes.reserved_slugs(current_app.url_map),
                                                today=today, system_user=_system_user())
    except ServiceError as exc:
        _refuse(exc)
    db.session.commit()
    click.echo(f"Created the commune {commune.slug}: {commune.name_ar} / {commune.name_fr} / {commune.name_zgh}")
    click.echo(f"  population {commune.population}, "
               f"{'with' if commune.has_arrondissements else 'no'} arrondissements, "
               f"CNDP reference {commune.cndp_reference}, contact e-mail {commune.contact_email or '(none)'}")
    click.echo(f"Created its action plan {plan.start_year}–{plan.end_year}: {plan.title_fr}")
    click.echo("  phases (default calendar: preparation in the year before the plan, execution over its 6 years):")
    for phase in sorted(plan.phases, key=lambda p: p.starts_on):
        state = "over" if phase.ends_on < today else ("open now" if phase.is_open(today) else "to come")
        click.echo(f"    {phase.kind:<11} {phase.starts_on.isoformat()} to {phase.ends_on.isoformat()}  ({state})")
    if not phases.is_open(plan, "propose", today):
        click.echo("  Residents cannot propose ideas today: an administrator opens the idea collection phase "
                   f"(dates) on /{commune.slug}/admin/plan.")
    click.echo("No strategic axes, neighbourhoods, accounts or ideas yet.")
    click.echo("Next step: create its first administrator (the password is asked twice, hidden):")
    click.echo(f"  flask admin create --commune {commune.slug} --email ADDRESS --name \"FULL NAME\"")


@commune_group.command("list")
def commune_list() -> None:
    """The communes of this deployment: slug, names, current plan, number of administrators."""
    from services import communes

    rows = communes.commune_summaries()
    if not rows:
        click.echo("No commune yet: create one with `flask commune create` (see --help).")
        return
    click.echo(f"{'slug':<20} {'plan':<10} {'admins':>6}  names (ar / fr / zgh)")
    for row in rows:
        plan = f"{row.plan.start_year}–{row.plan.end_year}" if row.plan else "none"
        c = row.commune
        click.echo(f"{c.slug:<20} {plan:<10} {row.admins:>6}  {c.name_ar} / {c.name_fr} / {c.name_zgh}")


@admin_group.command("create")
@click.option("--commune", "slug", required=True, help="The commune (slug).")
@click.option("--email", required=True, help="The administrator's e-mail address (their sign-in identifier).")
@click.option("--name", default=None, help="Their name as shown on the platform (needed for a new account).")
@click.option("--locale", type=click.Choice(["ar", "fr", "zgh", "en"]), default=None,
              help="Language of their e-mails (default: Arabic).")
def admin_create(slug: str, email: str, name: str | None, locale: str | None) -> None:
    """Create a commune administrator, or grant the role to the existing account with this e-mail.

    A new account's password is asked twice with a hidden prompt, or read from the environment
    variable TASHARUK_ADMIN_PASSWORD (for scripts); the staff password policy applies. The
    administrator sets up the second factor at their first sign-in."""
    import os

    from flask_babel import force_locale

    from extensions import db
    from services import communes
    from services.errors import ServiceError

    try:
        commune = communes.commune_by_slug(slug)
        existing = communes.admin_account(commune, email, name)
    except ServiceError as exc:
        _refuse(exc)
    password = None
    source = "password"
    if existing is None:
        password = os.environ.get("TASHARUK_ADMIN_PASSWORD")  # = ADMIN_PASSWORD_ENV
        source = ADMIN_PASSWORD_ENV
        if not password:
            identifier = email.strip().lower()

            def acceptable(value: str) -> str:
                problem = communes.admin_password_problem(commune, email=identifier, display_name=name or "",
                                                          password=value)
                if problem:
                    with force_locale("en"):
                        raise click.BadParameter(str(problem))
                return value

            password = click.prompt("Password (at least 15 characters)", hide_input=True,
                                    confirmation_prompt="Repeat the password", value_proc=acceptable)
            source = "password"
    try:
        user, created = communes.create_admin(commune, email=email, display_name=name, password=password,
                                              locale=locale, system_user=_system_user())
    except ServiceError as exc:
        _refuse(exc, source)
    db.session.commit()
    if created:
        click.echo(f"Created the account {user.email} ({user.display_name}), administrator of {commune.slug}.")
    else:
        click.echo(f"Granted the administrator role of {commune.slug} to the existing account {user.email} "
                   f"({user.display_name}); its name and password are unchanged, and they were notified.")
    click.echo(f"Next: they sign in on /login, set up the second factor (an authenticator app) at that first "
               f"sign-in, then open /{commune.slug}/admin.")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_group)
    app.cli.add_command(mail)
    app.cli.add_command(seed)
    app.cli.add_command(audit)
    app.cli.add_command(prioritize)
    app.cli.add_command(pb)
    app.cli.add_command(commune_group)
    app.cli.add_command(admin_group)
