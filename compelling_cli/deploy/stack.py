"""The CloudFormation stack that makes a submissions address work, and its upkeep.

``Deployment`` creates or updates the stack from ``template.yaml`` through a change
set, follows its events until it settles, makes its SES receipt rule set the active
one, and deletes it again, keeping the bucket and the table unless asked. The code
reaches the function through a small bucket of its own (``<stack>-code-<account>-
<region>``), since the stack's bucket cannot hold the code of the function its
creation needs. Every AWS call goes through ``aws.translated``: one-line errors.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..aws import client, error_code, error_message, translated
from . import DeployError

TEMPLATE = "template.yaml"
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$|^[a-z]$")
# What CloudFormation says of a change set that would change nothing.
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_BUSY = ("_IN_PROGRESS",)
_SETTLED_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
_CANCELLED = "Resource creation cancelled"


def template_text() -> str:
    """The stack's template, as shipped with the package."""
    return resources.files(__package__).joinpath(TEMPLATE).read_text("utf-8")


@dataclass(frozen=True)
class Settings:
    """The stack's parameters, by their names in the template."""

    address: str
    editor_email: str
    magazine: str
    bucket: str
    table: str
    from_address: str = ""
    editor_name: str = ""
    alarm_email: str = ""

    def parameters(self, code: tuple[str, str]) -> dict[str, str]:
        return {
            "SubmissionsAddress": self.address,
            "EditorEmail": self.editor_email,
            "MagazineName": self.magazine,
            "EditorName": self.editor_name,
            "FromAddress": self.from_address,
            "AlarmEmail": self.alarm_email,
            "BucketName": self.bucket,
            "TableName": self.table,
            "CodeBucket": code[0],
            "CodeKey": code[1],
        }


@dataclass(frozen=True)
class Change:
    """One line of a change set: what happens to which resource."""

    action: str
    resource: str
    type: str
    replacement: str = ""


@dataclass
class Plan:
    """A change set waiting to be executed, or ``changes`` empty: nothing to do."""

    stack: str
    kind: str
    change_set: str | None
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    """A stack event, as ``csf deploy`` shows it while it waits."""

    at: datetime
    resource: str
    type: str
    status: str
    reason: str = ""


class Deployment:
    """One stack in the account and region the environment names."""

    def __init__(
        self,
        stack: str,
        *,
        poll: float = 5.0,
        timeout: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clients: dict[str, Any] | None = None,
    ) -> None:
        if not STACK_NAME.match(stack):
            raise DeployError(
                f"the stack name {stack!r} cannot name its buckets",
                "use up to 30 lowercase letters, digits and hyphens, "
                "starting with a letter",
            )
        self.stack = stack
        self.poll, self.timeout, self.sleep = poll, timeout, sleep
        self._clients = dict(clients or {})
        self._account: str | None = None

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = client(service)
        return self._clients[service]

    @property
    def cloudformation(self) -> Any:
        return self._client("cloudformation")

    @property
    def region(self) -> str:
        with translated("cannot deploy", DeployError):
            return str(self.cloudformation.meta.region_name)

    @property
    def account(self) -> str:
        """The account the credentials belong to; the first call that needs them."""
        if self._account is None:
            with translated("cannot deploy", DeployError):
                identity = self._client("sts").get_caller_identity()
            self._account = str(identity["Account"])
        return self._account

    def where(self) -> tuple[str, str]:
        """The region and the account; the first calls, so they fail in that order."""
        region = self.region
        return region, self.account

    def default_bucket(self) -> str:
        return f"{self.stack}-mail-{self.account}"

    def code_bucket(self) -> str:
        return f"{self.stack}-code-{self.account}-{self.region}"

    def describe(self) -> dict[str, Any] | None:
        """The stack as CloudFormation describes it, or None if there is none."""
        with translated(f"cannot read the stack {self.stack}", DeployError):
            try:
                found = self.cloudformation.describe_stacks(StackName=self.stack)
            except ClientError as exc:
                if "does not exist" in error_message(exc):
                    return None
                raise
        stack = found["Stacks"][0]
        return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack

    def previous(self) -> dict[str, str]:
        """The parameters the stack was last deployed with, by template name."""
        stack = self.describe() or {}
        return {
            p["ParameterKey"]: p.get("ParameterValue", "")
            for p in stack.get("Parameters", ())
        }

    def outputs(self) -> dict[str, str]:
        stack = self.describe() or {}
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", ())}

    # Code

    def code_location(self, package: Path) -> tuple[str, str]:
        """Where the package goes, named by its digest: the same code is no change."""
        digest = hashlib.sha256(Path(package).read_bytes()).hexdigest()[:16]
        return self.code_bucket(), f"csf-lambda-{digest}.zip"

    def upload(self, package: Path) -> tuple[str, str]:
        """Put the package in the code bucket, made first if missing; skip if there."""
        bucket, key = self.code_location(package)
        s3 = self._client("s3")
        with translated(f"cannot upload the function to {bucket}", DeployError):
            try:
                s3.head_bucket(Bucket=bucket)
            except ClientError as exc:
                if error_code(exc) not in {"404", "NoSuchBucket"}:
                    raise
                self._create_code_bucket(bucket)
            try:
                s3.head_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if error_code(exc) not in {"404", "NoSuchKey"}:
                    raise
                s3.upload_file(str(package), bucket, key)
        return bucket, key

    def _create_code_bucket(self, bucket: str) -> None:
        s3 = self._client("s3")
        where = {}
        if self.region != "us-east-1":
            where = {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        s3.create_bucket(Bucket=bucket, **where)
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )

    # The change set

    def plan(self, settings: Settings, code: tuple[str, str]) -> Plan:
        """A change set for the template with these settings; no changes: none kept."""
        stack = self.describe()
        kind = "CREATE"
        if stack is not None:
            status = stack["StackStatus"]
            if status == "ROLLBACK_COMPLETE":
                raise DeployError(
                    f"the stack {self.stack} failed when it was first created",
                    "run csf deploy --delete, then deploy again",
                )
            if status.endswith(_BUSY) and status != "REVIEW_IN_PROGRESS":
                raise DeployError(
                    f"the stack {self.stack} is busy ({status})",
                    "wait for it to finish, then try again",
                )
            if status != "REVIEW_IN_PROGRESS":
                kind = "UPDATE"
        if kind == "CREATE":
            self._check_free(settings)

        name = "csf-" + datetime.now().strftime("%Y%m%d-%H%M%S")
        parameters = settings.parameters(code)
        with translated(f"cannot plan the stack {self.stack}", DeployError):
            try:
                made = self.cloudformation.create_change_set(
                    StackName=self.stack,
                    ChangeSetName=name,
                    ChangeSetType=kind,
                    TemplateBody=template_text(),
                    Parameters=[
                        {"ParameterKey": k, "ParameterValue": v}
                        for k, v in parameters.items()
                    ],
                    Capabilities=["CAPABILITY_IAM"],
                    Tags=[{"Key": "csf:stack", "Value": self.stack}],
                )
            except ClientError as exc:
                # CloudFormation reports no changes on the change set; some
                # endpoints (moto among them) refuse to make it instead.
                if any(words in error_message(exc) for words in _NO_CHANGES):
                    return Plan(self.stack, kind, None)
                raise
            described = self._settled_change_set(made["Id"])
        plan = Plan(self.stack, kind, made["Id"], _changes(described))

        if described["Status"] == "FAILED":
            reason = described.get("StatusReason", "")
            self.discard(plan)
            if any(words in reason for words in _NO_CHANGES):
                plan.change_set = None
                return plan
            raise DeployError(f"CloudFormation refused the change set: {reason}")
        return plan

    def _check_free(self, settings: Settings) -> None:
        """A new stack cannot take over a table or bucket that is already there."""
        with translated("cannot deploy", DeployError):
            try:
                self._client("dynamodb").describe_table(TableName=settings.table)
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
            else:
                raise DeployError(
                    f"the table {settings.table} already exists outside the stack",
                    "set CSF_TABLE to a new name for the stack's table, or delete "
                    "the old one (after csf export)",
                )
            try:
                self._client("s3").head_bucket(Bucket=settings.bucket)
            except ClientError as exc:
                if error_code(exc) == "403":
                    raise DeployError(
                        f"the bucket name {settings.bucket} belongs to someone else",
                        "deploy under another --stack",
                    ) from exc
                if error_code(exc) not in {"404", "NoSuchBucket"}:
                    raise
            else:
                raise DeployError(
                    f"the bucket {settings.bucket} already exists outside the stack",
                    "delete it (after csf export), or deploy under another --stack",
                )

    def _settled_change_set(self, change_set: str) -> dict[str, Any]:
        waited = 0.0
        while True:
            described = self.cloudformation.describe_change_set(
                ChangeSetName=change_set
            )
            if described["Status"] in {"CREATE_COMPLETE", "FAILED"}:
                return described
            if waited >= self.timeout:
                raise DeployError(f"the change set {change_set} is still being made")
            self.sleep(self.poll)
            waited += self.poll

    def discard(self, plan: Plan) -> None:
        """Drop the change set; a stack made only to hold it goes too."""
        if plan.change_set is None:
            return
        with translated(f"cannot delete the change set of {self.stack}", DeployError):
            self.cloudformation.delete_change_set(ChangeSetName=plan.change_set)
            stack = self.describe()
            if stack is not None and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
                self.cloudformation.delete_stack(StackName=self.stack)

    def execute(self, plan: Plan, on_event: Callable[[Event], None]) -> str:
        """Run the change set and wait, showing each event; the final status."""
        before = {e["EventId"] for e in self._events()}
        with translated(f"cannot change the stack {self.stack}", DeployError):
            self.cloudformation.execute_change_set(ChangeSetName=plan.change_set)
        status = self._wait(set(before), on_event)
        if status not in _SETTLED_OK:
            reason = self._first_failure(before) or status
            raise DeployError(
                f"the stack {self.stack} failed ({status}): {reason}",
                "the events above show the rest; fix it and deploy again",
            )
        return status

    def _events(self, stack_id: str | None = None) -> list[dict[str, Any]]:
        """The stack's recent events, newest first (one page is plenty per poll)."""
        with translated(f"cannot read the events of {self.stack}", DeployError):
            try:
                found = self.cloudformation.describe_stack_events(
                    StackName=stack_id or self.stack
                )
            except ClientError as exc:
                if "does not exist" in error_message(exc):
                    return []
                raise
        return list(found.get("StackEvents", ()))

    def _wait(
        self,
        seen: set[str],
        on_event: Callable[[Event], None],
        stack_id: str | None = None,
    ) -> str:
        waited = 0.0
        while True:
            fresh = [e for e in self._events(stack_id) if e["EventId"] not in seen]
            for event in reversed(fresh):
                seen.add(event["EventId"])
                on_event(_event(event))
            with translated(f"cannot read the stack {self.stack}", DeployError):
                found = self.cloudformation.describe_stacks(
                    StackName=stack_id or self.stack
                )
            status = found["Stacks"][0]["StackStatus"]
            if not status.endswith(_BUSY):
                return status
            if waited >= self.timeout:
                raise DeployError(
                    f"the stack {self.stack} is still {status} after "
                    f"{self.timeout / 60:.0f} minutes",
                    "follow it in the CloudFormation console",
                )
            self.sleep(self.poll)
            waited += self.poll

    def _first_failure(self, before: set[str]) -> str:
        """The reason of the first resource that failed, not the ones cancelled."""
        failed = [
            e
            for e in reversed(self._events())
            if e["EventId"] not in before
            and e.get("ResourceStatus", "").endswith("_FAILED")
            and e.get("ResourceStatusReason")
            and _CANCELLED not in e["ResourceStatusReason"]
        ]
        if not failed:
            return ""
        first = failed[0]
        return f"{first['LogicalResourceId']}: {first['ResourceStatusReason']}"

    # SES

    def active_rule_set(self) -> str | None:
        with translated("cannot read SES's active receipt rule set", DeployError):
            found = self._client("ses").describe_active_receipt_rule_set()
        return (found.get("Metadata") or {}).get("Name")

    def activate(self, rule_set: str) -> None:
        """Make the stack's rule set the one SES applies to incoming mail."""
        with translated(
            f"cannot activate the receipt rule set {rule_set}", DeployError
        ):
            self._client("ses").set_active_receipt_rule_set(RuleSetName=rule_set)

    def domain_records(self, domain: str) -> tuple[bool, list[str]]:
        """Whether SES has verified ``domain``, and the DKIM records it asks for.

        A domain SES does not know yet is added (Easy DKIM), which is what gives the
        records; nothing is sent.
        """
        ses = self._client("ses")
        with translated(f"cannot read SES's identity {domain}", DeployError):
            found = ses.get_identity_dkim_attributes(Identities=[domain])
            attributes = found.get("DkimAttributes", {}).get(domain)
            if not attributes or not attributes.get("DkimTokens"):
                tokens = ses.verify_domain_dkim(Domain=domain)["DkimTokens"]
                attributes = {"DkimTokens": tokens, "DkimVerificationStatus": ""}
        verified = attributes.get("DkimVerificationStatus") == "Success"
        records = [
            f"{token}._domainkey.{domain}  CNAME  {token}.dkim.amazonses.com"
            for token in attributes["DkimTokens"]
        ]
        return verified, records

    def alarm_unconfirmed(self, topic: str) -> bool:
        """Whether the alarm's email subscription still awaits its confirmation."""
        try:
            found = self._client("sns").list_subscriptions_by_topic(TopicArn=topic)
        except Exception:  # cannot tell: better to remind the editor
            return True
        return any(
            s.get("SubscriptionArn") == "PendingConfirmation"
            for s in found.get("Subscriptions", ())
        )

    def in_sandbox(self) -> bool | None:
        """Whether SES sends only to verified addresses here; None: cannot tell."""
        try:
            found = self._client("sesv2").get_account()
        except Exception:  # an old SDK, a denied call, a mock without it: say so
            return None
        return not found.get("ProductionAccessEnabled", False)

    # Deleting

    def delete(self, on_event: Callable[[Event], None]) -> dict[str, str]:
        """Delete the stack; the bucket and table stay (DeletionPolicy Retain).

        Returns the stack's outputs as they were, to say what was kept.
        """
        stack = self.describe()
        if stack is None:
            raise DeployError(f"there is no stack {self.stack} to delete")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", ())}

        # SES will not delete the rule set that is active.
        rule_set = outputs.get("RuleSetName", f"{self.stack}-rules")
        if self.active_rule_set() == rule_set:
            with translated("cannot deactivate the receipt rule set", DeployError):
                self._client("ses").set_active_receipt_rule_set()

        before = {e["EventId"] for e in self._events()}
        with translated(f"cannot delete the stack {self.stack}", DeployError):
            self.cloudformation.delete_stack(StackName=self.stack)
        status = self._wait(set(before), on_event, stack_id=stack["StackId"])
        if status != "DELETE_COMPLETE":
            reason = self._first_failure(before) or status
            raise DeployError(f"the stack {self.stack} was not deleted: {reason}")
        self.delete_bucket(self.code_bucket())
        return outputs

    def delete_bucket(self, bucket: str) -> int:
        """Empty the bucket, every version of every object, and delete it; the count."""
        s3 = self._client("s3")
        removed = 0
        with translated(f"cannot delete the bucket {bucket}", DeployError):
            try:
                for batch in _batches(_object_versions(s3, bucket), 1000):
                    s3.delete_objects(
                        Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
                    )
                    removed += len(batch)
                s3.delete_bucket(Bucket=bucket)
            except ClientError as exc:
                if error_code(exc) != "NoSuchBucket":
                    raise
        return removed

    def delete_table(self, table: str) -> None:
        with translated(f"cannot delete the table {table}", DeployError):
            try:
                self._client("dynamodb").delete_table(TableName=table)
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise


def _changes(described: dict[str, Any]) -> list[Change]:
    changes = []
    for change in described.get("Changes", ()):
        resource = change.get("ResourceChange", {})
        changes.append(
            Change(
                resource.get("Action", ""),
                resource.get("LogicalResourceId", ""),
                resource.get("ResourceType", ""),
                resource.get("Replacement", "") or "",
            )
        )
    return changes


def _event(raw: dict[str, Any]) -> Event:
    return Event(
        raw["Timestamp"],
        raw.get("LogicalResourceId", ""),
        raw.get("ResourceType", ""),
        raw.get("ResourceStatus", ""),
        raw.get("ResourceStatusReason", "") or "",
    )


def _object_versions(s3: Any, bucket: str) -> Iterator[dict[str, str]]:
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    for page in pages:
        for item in [*page.get("Versions", ()), *page.get("DeleteMarkers", ())]:
            yield {"Key": item["Key"], "VersionId": item["VersionId"]}


def _batches(items: Iterator[dict[str, str]], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
