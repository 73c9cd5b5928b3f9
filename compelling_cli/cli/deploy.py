"""csf deploy: the AWS side, from an account to a working submissions address."""

from __future__ import annotations

import tempfile
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import UsageError
from .app import Session, app, session

if TYPE_CHECKING:
    from ..deploy.stack import Deployment, Event, Plan


@app.command()
def deploy(
    ctx: typer.Context,
    stack: str = typer.Option("csf", "--stack", metavar="NAME", help="Stack name."),
    address: str = typer.Option(
        None, "--address", help="The submissions address [CSF_FROM_EMAIL]."
    ),
    editor_email: str = typer.Option(
        None, "--editor-email", help="Where notifications go [CSF_EDITOR_EMAIL]."
    ),
    magazine: str = typer.Option(
        None, "--magazine", help="The magazine's name [CSF_MAGAZINE]."
    ),
    from_address: str = typer.Option(
        None, "--from-address", help="Letters come from it [the submissions address]."
    ),
    alarm_email: str = typer.Option(
        None, "--alarm-email", help="Told when a message keeps failing [editor]."
    ),
    package: Path = typer.Option(
        None, "--zip", metavar="FILE", help="The function's package [built now]."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the changes; apply nothing."
    ),
    delete: bool = typer.Option(
        False, "--delete", help="Delete the stack; keep the bucket and table."
    ),
    delete_data: bool = typer.Option(
        False, "--delete-data", help="With --delete: the bucket and table too."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Ask no questions."),
) -> None:
    """Create or update csf's stack on AWS, and say what is left to do in DNS.

    One CloudFormation stack holds the bucket for incoming mail, the submissions
    table, the ingest Lambda with its dead-letter queue and alarm, and the SES rule
    that stores mail for the address. The changes are shown before they are made;
    the SES receipt rule set is then made active. Settings give the defaults, then
    the stack's last deployment. The bucket and table outlive --delete unless
    --delete-data.

    Example: csf deploy --address submissions@nightharbor.net --magazine "Night Harbor"
    """
    from ..deploy.stack import Deployment

    run = session(ctx)
    if delete_data and not delete:
        raise UsageError("--delete-data goes with --delete", "csf deploy --delete ...")
    deployment = Deployment(stack)
    region, account = deployment.where()
    if delete:
        _delete(deployment, delete_data, yes)
        return
    typer.echo(f"Stack {deployment.stack} in {region}, account {account}")
    given = {
        "address": address,
        "editor_email": editor_email,
        "magazine": magazine,
        "from_address": from_address,
        "alarm_email": alarm_email,
    }
    _deploy(run, deployment, given, package, dry_run, yes)


def _deploy(
    run: Session,
    deployment: Deployment,
    given: dict[str, str | None],
    package: Path | None,
    dry_run: bool,
    yes: bool,
) -> None:
    from ..deploy.package import build_lambda_zip

    settings = _stack_settings(run, deployment, given)

    if package is not None and not package.is_file():
        raise UsageError(
            f"no package at {package}", "run make lambda-zip, or omit --zip"
        )
    with tempfile.TemporaryDirectory(prefix="csf-deploy-") as scratch:
        if package is None:
            package = build_lambda_zip(Path(scratch) / "csf-lambda.zip")
        code = (
            deployment.code_location(package) if dry_run else deployment.upload(package)
        )
    plan = deployment.plan(settings, code)
    if plan.change_set is None:
        typer.echo(f"The stack {deployment.stack} is already up to date.")
    else:
        _show_plan(run, plan)
        if dry_run:
            deployment.discard(plan)
            typer.echo("Dry run: nothing was changed.")
            return
        if (
            _destructive(plan)
            and not yes
            and not _ask("Some resources will be removed or replaced. Go ahead?")
        ):
            deployment.discard(plan)
            raise UsageError("nothing was changed", "answer y, or pass --yes")
        status = deployment.execute(plan, _show_event)
        typer.echo(f"The stack {deployment.stack} is {status}.")
    if dry_run:
        typer.echo("Dry run: nothing was changed.")
        return

    outputs = deployment.outputs()
    rule_set = outputs.get("RuleSetName", f"{deployment.stack}-rules")
    active = deployment.active_rule_set()
    if active != rule_set:
        if active and not yes:
            typer.echo(
                f"SES applies one receipt rule set per region, and {active} is the "
                f"active one; {rule_set} would take its place."
            )
            if not _ask(f"Make {rule_set} the active rule set?"):
                raise UsageError(
                    f"{rule_set} is deployed but not active",
                    f"move the rules of {active} into it, then deploy again",
                )
        deployment.activate(rule_set)
        typer.echo(f"The SES receipt rule set {rule_set} is now active.")
    _next_steps(deployment, settings, outputs)


def _stack_settings(run: Session, deployment: Deployment, given: dict):
    """The stack's parameters: flags, then csf's settings, then the last deployment."""
    from ..deploy.stack import Settings

    values = run.settings
    previous = deployment.previous()

    def pick(flag: str | None, setting: str | None, parameter: str) -> str:
        return flag or setting or previous.get(parameter, "")

    address = pick(given["address"], _plain(values.from_email), "SubmissionsAddress")
    editor_email = pick(given["editor_email"], values.editor_email, "EditorEmail")
    magazine = pick(given["magazine"], values.magazine, "MagazineName")
    missing = [
        option
        for option, value in (
            ("--address", address),
            ("--editor-email", editor_email),
            ("--magazine", magazine),
        )
        if not value
    ]
    if missing:
        raise UsageError(
            f"the stack needs {', '.join(missing)}",
            "give them, or set CSF_FROM_EMAIL, CSF_EDITOR_EMAIL and CSF_MAGAZINE",
        )
    from_address = given["from_address"] or previous.get("FromAddress", "")
    if from_address == address:
        from_address = ""
    return Settings(
        address=_plain(address),
        editor_email=_plain(editor_email),
        magazine=magazine,
        from_address=_plain(from_address),
        editor_name=values.editor or previous.get("EditorName", ""),
        alarm_email=_plain(
            given["alarm_email"] or previous.get("AlarmEmail", "") or editor_email
        ),
        bucket=previous.get("BucketName") or deployment.default_bucket(),
        table=previous.get("TableName") or values.table or "compelling_submissions",
    )


def _plain(address: str | None) -> str:
    """The bare address of ``Name <address>``; CloudFormation takes only that."""
    if not address:
        return ""
    bare = parseaddr(address)[1]
    if "@" not in bare:
        raise UsageError(f"{address!r} is not an email address")
    return bare


def _show_plan(run: Session, plan: Plan) -> None:
    from rich.table import Table

    verb = "create" if plan.kind == "CREATE" else "update"
    typer.echo(f"To {verb} the stack {plan.stack}:")
    replaced = {"True": "yes", "Conditional": "maybe"}
    shown = any(change.replacement in replaced for change in plan.changes)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("change", "resource", "type", "replaced")[: 4 if shown else 3]:
        table.add_column(column)
    for change in plan.changes:
        row = [change.action, change.resource, change.type]
        if shown:
            row.append(replaced.get(change.replacement, ""))
        table.add_row(*row)
    run.console.print(table)


def _destructive(plan: Plan) -> bool:
    return any(
        c.action == "Remove" or c.replacement in {"True", "Conditional"}
        for c in plan.changes
    )


def _show_event(event: Event) -> None:
    line = f"{event.at:%H:%M:%S}  {event.status:<20} {event.resource:<20} {event.type}"
    if event.reason:
        line += f"  {event.reason}"
    typer.echo(line.rstrip())


def _ask(question: str) -> bool:
    """The editor's answer; no answer (no terminal, end of input) is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        return False


def _next_steps(deployment: Deployment, settings, outputs: dict[str, str]) -> None:
    region = deployment.region
    domain = settings.address.split("@", 1)[1]
    sender = settings.from_address or settings.address
    domains = dict.fromkeys([domain, sender.split("@", 1)[1]])
    typer.echo("")
    typer.echo("What is left to do:")
    step = 0
    for name in domains:
        verified, records = deployment.domain_records(name)
        if verified:
            continue
        step += 1
        typer.echo(f"{step}. Verify {name} in SES: add these DNS records (DKIM).")
        for record in records:
            typer.echo(f"     {record}")
    step += 1
    typer.echo(f"{step}. Send {domain}'s mail to SES: add the DNS record")
    typer.echo(f"     {domain}  MX  10 inbound-smtp.{region}.amazonaws.com")
    sandbox = deployment.in_sandbox()
    if sandbox is not False:
        step += 1
        typer.echo(
            f"{step}. Leave the SES sandbox, or letters reach verified addresses only:"
        )
        typer.echo(
            "     SES console > Account dashboard > Request production access"
            + ("" if sandbox else " (if not done yet)")
        )
    topic = outputs.get("AlarmTopicArn")
    if topic and deployment.alarm_unconfirmed(topic):
        step += 1
        typer.echo(
            f"{step}. Confirm the subscription AWS mails to {settings.alarm_email}, "
            "to hear of failing messages."
        )
    typer.echo("")
    typer.echo("Then point csf at the stack:")
    typer.echo(
        f"  export CSF_BACKEND=aws AWS_DEFAULT_REGION={region} "
        f"CSF_BUCKET={outputs.get('BucketName', settings.bucket)} "
        f"CSF_TABLE={outputs.get('TableName', settings.table)} "
        f"CSF_FROM_EMAIL={sender}"
    )


def _delete(deployment: Deployment, delete_data: bool, yes: bool) -> None:
    stack = deployment.describe()
    if stack is None:
        from ..deploy import DeployError

        raise DeployError(f"there is no stack {deployment.stack} to delete")
    if not yes and not _ask(f"Delete the stack {deployment.stack}?"):
        raise UsageError("nothing was deleted", "answer y, or pass --yes")
    previous = deployment.previous()
    bucket, table = previous.get("BucketName", ""), previous.get("TableName", "")
    if (
        delete_data
        and not yes
        and not _ask(
            f"Delete the bucket {bucket} and the table {table}, with every "
            "submission in them, for good?"
        )
    ):
        raise UsageError("nothing was deleted", "answer y, or pass --yes")

    deployment.delete(_show_event)
    typer.echo(f"Deleted the stack {deployment.stack}.")
    if not delete_data:
        typer.echo(
            f"Kept the bucket {bucket} and the table {table}; "
            "csf deploy --delete --delete-data removes them."
        )
        return
    removed = deployment.delete_bucket(bucket)
    deployment.delete_table(table)
    typer.echo(
        f"Deleted the bucket {bucket} ({removed} objects) and the table {table}."
    )
