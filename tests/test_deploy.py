"""csf deploy: the template, the function's package, and the stack on moto.

moto's CloudFormation makes the bucket (with its encryption), the table and its index,
the queue, the log group, the role, the function and its permission, and the SNS
topic. It warns and skips AWS::S3::BucketPolicy, AWS::CloudWatch::Alarm and
AWS::SES::ReceiptRuleSet / ReceiptRule; it makes the bucket without its public access
block or its notification, the table without point-in-time recovery, and the function
without its DeadLetterConfig. Those are checked in the template (and by cfn-lint)
only; the tests make the rule set through SES's API where deploy needs it, and call
the handler themselves where S3 would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest

from compelling_cli.deploy import DeployError
from compelling_cli.deploy.package import build_lambda_zip
from compelling_cli.deploy.stack import Deployment, template_text
from lambda_handler import handler
from tests.conftest import make_message

TEMPLATE = Path(__file__).parents[1] / "compelling_cli" / "deploy" / "template.yaml"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
BUCKET = f"csf-mail-{ACCOUNT}"
TABLE = "compelling_submissions"
ADDRESS = "submissions@nightharbor.test"
EDITOR = "editor@nightharbor.test"
STACK_ARGS = (
    *("deploy", "--address", ADDRESS, "--editor-email", EDITOR),
    *("--magazine", "Night Harbor"),
)

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return build_lambda_zip(tmp_path_factory.mktemp("dist") / "csf-lambda.zip")


@pytest.fixture
def account(aws, monkeypatch):
    """A mocked account with SES's receipt rule set that moto's stacks do not make."""
    import boto3

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    ses = boto3.client("ses", region_name=REGION)
    ses.create_receipt_rule_set(RuleSetName="csf-rules")
    return SimpleNamespace(
        cfn=boto3.client("cloudformation", region_name=REGION),
        s3=boto3.client("s3", region_name=REGION),
        dynamodb=boto3.client("dynamodb", region_name=REGION),
        lam=boto3.client("lambda", region_name=REGION),
        sqs=boto3.client("sqs", region_name=REGION),
        ses=ses,
    )


def deploy(csf, package, *extra: str, input: str | None = None):
    return csf(*STACK_ARGS, "--zip", package, *extra, input=input)


def buckets(account) -> list[str]:
    return sorted(b["Name"] for b in account.s3.list_buckets()["Buckets"])


def resources(template: dict) -> dict:
    return template["Resources"]


# The template


def test_the_template_passes_cfn_lint():
    from cfnlint.api import lint, lint_file

    assert lint_file(TEMPLATE) == []

    # The same linter does catch a mistake in this template.
    broken = template_text().replace("MemorySize: 1024", "MemorySise: 1024")
    [match] = lint(broken)
    assert "MemorySize" in str(match)


def test_the_template_keeps_the_data_and_grants_little():
    from cfnlint.decode import decode

    template, problems = decode(str(TEMPLATE))
    assert problems == []
    found = resources(template)
    for name in ("MailBucket", "SubmissionsTable"):
        assert found[name]["DeletionPolicy"] == "Retain"
        assert found[name]["UpdateReplacePolicy"] == "Retain"

    table = found["SubmissionsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    bucket = found["MailBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [notify] = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert notify["Filter"]["S3Key"]["Rules"] == [
        {"Name": "prefix", "Value": "incoming/"}
    ]

    ses_statement = found["MailBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    assert ses_statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert ses_statement["Action"] == "s3:PutObject"
    assert ses_statement["Resource"]["Fn::Sub"].endswith(":::${BucketName}/incoming/*")
    assert set(ses_statement["Condition"]) == {"StringEquals", "ArnLike"}

    statements = found["IngestRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    granted = {s["Sid"]: s for s in statements}
    assert granted["ReadIncomingMail"]["Action"] == "s3:GetObject"
    assert "*" not in json.dumps([s["Action"] for s in statements])
    assert set(granted["SendLettersFromTheAddress"]["Condition"]["StringEquals"]) == {
        "ses:FromAddress"
    }

    function = found["IngestFunction"]["Properties"]
    assert function["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    }
    alarm = found["DeadLetterAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        "GreaterThanThreshold",
        0,
    )

    rule = found["SubmissionsRule"]["Properties"]["Rule"]
    assert rule["ScanEnabled"] is True
    assert rule["Actions"][0]["S3Action"]["ObjectKeyPrefix"] == "incoming/"


# The function's package


def test_the_package_holds_the_library_without_the_cli(package, tmp_path):
    names = zipfile.ZipFile(package).namelist()

    assert "lambda_handler/handler.py" in names
    assert "compelling_cli/store/aws.py" in names
    assert "compelling_cli/templates/confirmation.txt" in names
    assert "pypdf/__init__.py" in names and "dateutil/parser/__init__.py" in names
    assert not [n for n in names if n.startswith("compelling_cli/cli/")]
    assert "compelling_cli/render.py" not in names
    assert not [n for n in names if n.split("/")[0] in {"typer", "rich", "boto3"}]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert names == sorted(names)

    # The same sources give the same bytes, so a deploy of unchanged code is no change.
    again = build_lambda_zip(tmp_path / "again.zip")
    assert again.read_bytes() == package.read_bytes()


def test_the_package_imports_with_only_the_runtimes_boto3(package, tmp_path):
    import boto3

    task, runtime = tmp_path / "task", tmp_path / "runtime"
    zipfile.ZipFile(package).extractall(task)
    runtime.mkdir()
    site = Path(boto3.__file__).parents[1]
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3"):
        (runtime / name).symlink_to(site / name)
    script = f"""
import importlib, pkgutil, sys
sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]
import compelling_cli, lambda_handler.handler, pypdf
for module in pkgutil.walk_packages(compelling_cli.__path__, "compelling_cli."):
    importlib.import_module(module.name)
print(sorted({{n.split(".")[0] for n in sys.modules}} & {{"typer", "rich", "click"}}))
print(pypdf.__file__.startswith({str(task)!r}))
"""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "True"]


def test_make_lambda_zip_builds_dist_csf_lambda_zip(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "compelling_cli.deploy.package", tmp_path / "x.zip"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{tmp_path / 'x.zip'} (")
    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    assert "compelling_cli.deploy.package dist/csf-lambda.zip" in makefile


# Deploying on moto


def test_deploy_creates_the_stack(csf, package, account):
    result = deploy(csf, package)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Stack csf in {REGION}, account {ACCOUNT}"
    assert lines[1] == "To create the stack csf:"
    assert any(
        line.split()[:3] == ["Add", "MailBucket", "AWS::S3::Bucket"] for line in lines
    )
    assert "The stack csf is CREATE_COMPLETE." in lines
    assert "The SES receipt rule set csf-rules is now active." in lines
    assert f"     nightharbor.test  MX  10 inbound-smtp.{REGION}.amazonaws.com" in lines
    assert (
        f"  export CSF_BACKEND=aws AWS_DEFAULT_REGION={REGION} CSF_BUCKET={BUCKET} "
        f"CSF_TABLE={TABLE} CSF_FROM_EMAIL={ADDRESS}"
    ) in lines
    dkim = [line for line in lines if "._domainkey.nightharbor.test  CNAME" in line]
    assert len(dkim) == 3

    assert buckets(account) == [f"csf-code-{ACCOUNT}-{REGION}", BUCKET]
    encryption = account.s3.get_bucket_encryption(Bucket=BUCKET)
    rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    table = account.dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "evaluation_state-timestamp-index"
    assert index["KeySchema"] == [
        {"AttributeName": "evaluation_state", "KeyType": "HASH"},
        {"AttributeName": "timestamp", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    function = account.lam.get_function_configuration(FunctionName="csf-ingest")
    assert function["Handler"] == "lambda_handler.handler.lambda_handler"
    assert function["Runtime"] == "python3.12"
    assert (function["MemorySize"], function["Timeout"]) == (1024, 120)
    assert function["Environment"]["Variables"] == {
        "CSF_BACKEND": "aws",
        "CSF_CONFIG": "/dev/null",
        "CSF_TABLE": TABLE,
        "CSF_BUCKET": BUCKET,
        "CSF_INCOMING_PREFIX": "incoming/",
        "CSF_FROM_EMAIL": ADDRESS,
        "CSF_EDITOR_EMAIL": EDITOR,
        "CSF_EDITOR": "",
        "CSF_MAGAZINE": "Night Harbor",
    }
    # moto keeps no DeadLetterConfig from a template: the template test checks it.
    queue = account.sqs.get_queue_url(QueueName="csf-ingest-failed")["QueueUrl"]
    attributes = account.sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["MessageRetentionPeriod"]
    )["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"

    active = account.ses.describe_active_receipt_rule_set()["Metadata"]["Name"]
    assert active == "csf-rules"


def test_a_message_in_the_bucket_reaches_csf_next(
    csf, package, account, monkeypatch, capsys
):
    assert deploy(csf, package).exit_code == 0
    function = account.lam.get_function_configuration(FunctionName="csf-ingest")
    account.ses.verify_domain_identity(Domain="nightharbor.test")

    # SES would store the message under incoming/ and S3 would call the function
    # with this environment; moto does neither, so the test does both.
    key = "incoming/0b3f6c2a9d1e4f5a"
    account.s3.put_object(Bucket=BUCKET, Key=key, Body=make_message())
    for name, value in function["Environment"]["Variables"].items():
        monkeypatch.setenv(name, value)
    handler.RESOURCES.clear()
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": quote_plus(key)}},
            }
        ]
    }
    assert handler.lambda_handler(event, None) is None
    [logged] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert logged["outcome"] == "created"

    shown = csf("next")
    assert shown.exit_code == 0, shown.output
    assert logged["id"] in shown.stdout
    assert "The Glass Orchard" in shown.stdout


def test_a_dry_run_changes_nothing(csf, package, account):
    result = deploy(csf, package, "--dry-run")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "To create the stack csf:" in lines
    assert any(line.split()[:2] == ["Add", "IngestFunction"] for line in lines)
    assert lines[-1] == "Dry run: nothing was changed."
    assert account.cfn.list_stacks()["StackSummaries"] in (
        [],
        [
            s
            for s in account.cfn.list_stacks()["StackSummaries"]
            if s["StackStatus"] == "DELETE_COMPLETE"
        ],
    )
    assert buckets(account) == []
    assert account.dynamodb.list_tables()["TableNames"] == []
    assert account.cfn.describe_stacks()["Stacks"] == []


def test_a_second_deploy_is_already_up_to_date(csf, package, account):
    assert deploy(csf, package).exit_code == 0

    again = deploy(csf, package)

    assert again.exit_code == 0, again.output
    assert "The stack csf is already up to date." in again.stdout.splitlines()
    assert "To update" not in again.stdout
    pending = account.cfn.list_change_sets(StackName="csf")["Summaries"]
    assert [c for c in pending if c["ExecutionStatus"] != "EXECUTE_COMPLETE"] == []


def test_a_second_deploy_reuses_the_last_settings(csf, package, account):
    assert deploy(csf, package).exit_code == 0

    again = csf("deploy", "--zip", package, "--magazine", "Night Harbour")

    assert again.exit_code == 0, again.output
    assert "To update the stack csf:" in again.stdout
    assert "The stack csf is UPDATE_COMPLETE." in again.stdout
    function = account.lam.get_function_configuration(FunctionName="csf-ingest")
    variables = function["Environment"]["Variables"]
    assert (variables["CSF_MAGAZINE"], variables["CSF_FROM_EMAIL"]) == (
        "Night Harbour",
        ADDRESS,
    )


def test_delete_keeps_the_bucket_and_the_table(csf, package, account):
    assert deploy(csf, package).exit_code == 0
    account.s3.put_object(Bucket=BUCKET, Key="submissions/x/raw.eml", Body=b"story")

    result = csf("deploy", "--delete", "--yes")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "Deleted the stack csf.",
        f"Kept the bucket {BUCKET} and the table {TABLE}; "
        "csf deploy --delete --delete-data removes them.",
    ]
    assert account.cfn.describe_stacks()["Stacks"] == []
    assert buckets(account) == [BUCKET]
    assert account.dynamodb.list_tables()["TableNames"] == [TABLE]
    assert account.ses.describe_active_receipt_rule_set().get("Metadata") is None

    # Deploying again cannot take over what was kept, and says so before trying.
    again = deploy(csf, package)
    assert again.exit_code == 1
    assert again.stderr.splitlines()[-1] == (
        f"csf: error: the table {TABLE} already exists outside the stack (set "
        "CSF_TABLE to a new name for the stack's table, or delete the old one "
        "(after csf export))"
    )


def test_delete_data_removes_them_after_asking(csf, package, account):
    assert deploy(csf, package).exit_code == 0
    account.s3.put_object(Bucket=BUCKET, Key="submissions/x/raw.eml", Body=b"story")

    refused = csf("deploy", "--delete", "--delete-data", input="y\nn\n")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == (
        "csf: error: nothing was deleted (answer y, or pass --yes)"
    )
    assert account.cfn.describe_stacks(StackName="csf")["Stacks"]

    result = csf("deploy", "--delete", "--delete-data", input="y\ny\n")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Deleted the bucket {BUCKET} (1 objects) and the table {TABLE}."
    )
    assert buckets(account) == []
    assert account.dynamodb.list_tables()["TableNames"] == []


def test_another_active_rule_set_is_replaced_only_when_the_editor_says(
    csf, package, account
):
    account.ses.create_receipt_rule_set(RuleSetName="old-rules")
    account.ses.set_active_receipt_rule_set(RuleSetName="old-rules")

    refused = deploy(csf, package, input="n\n")

    assert refused.exit_code == 2
    assert "old-rules is the active one; csf-rules would take its place" in (
        refused.stdout
    )
    assert refused.stderr.splitlines()[-1] == (
        "csf: error: csf-rules is deployed but not active (move the rules of "
        "old-rules into it, then deploy again)"
    )
    active = account.ses.describe_active_receipt_rule_set()["Metadata"]["Name"]
    assert active == "old-rules"

    accepted = deploy(csf, package, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "The stack csf is already up to date." in accepted.stdout
    active = account.ses.describe_active_receipt_rule_set()["Metadata"]["Name"]
    assert active == "csf-rules"


# Errors, one line each


def test_deploy_needs_the_address_the_editor_and_the_magazine(csf, account):
    result = csf("deploy", "--magazine", "Night Harbor")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "csf: error: the stack needs --address, --editor-email (give them, or set "
        "CSF_FROM_EMAIL, CSF_EDITOR_EMAIL and CSF_MAGAZINE)"
    )


def test_settings_give_the_defaults(csf, package, account, monkeypatch):
    monkeypatch.setenv("CSF_FROM_EMAIL", f"Night Harbor <{ADDRESS}>")
    monkeypatch.setenv("CSF_EDITOR_EMAIL", EDITOR)
    monkeypatch.setenv("CSF_MAGAZINE", "Night Harbor")

    result = csf("deploy", "--zip", package, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Dry run: nothing was changed."


def test_usage_errors(csf, account, tmp_path):
    cases = {
        ("deploy", "--delete-data"): (
            "csf: error: --delete-data goes with --delete (csf deploy --delete ...)"
        ),
        ("deploy", "--stack", "Slush_Pile"): (
            "csf: error: the stack name 'Slush_Pile' cannot name its buckets (use up "
            "to 30 lowercase letters, digits and hyphens, starting with a letter)"
        ),
        (*STACK_ARGS, "--zip", str(tmp_path / "none.zip")): (
            f"csf: error: no package at {tmp_path / 'none.zip'} (run make "
            "lambda-zip, or omit --zip)"
        ),
        (*STACK_ARGS[:-2], "--magazine", "N", "--address", "nobody"): (
            "csf: error: 'nobody' is not an email address"
        ),
    }
    for args, message in cases.items():
        result = csf(*args)
        assert (result.exit_code, result.stderr.splitlines()[-1]) == (
            1 if "stack name" in message else 2,
            message,
        ), args


def test_deleting_a_stack_that_is_not_there(csf, account):
    result = csf("deploy", "--delete", "--yes")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "csf: error: there is no stack csf to delete"
    )


def test_no_credentials_is_one_line(csf, tmp_path, monkeypatch):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)

    result = csf(*STACK_ARGS, "--dry-run")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "csf: error: cannot deploy: no AWS credentials found (set AWS_PROFILE, or "
        "run aws configure)"
    ]

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    result = csf(*STACK_ARGS, "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "csf: error: cannot use cloudformation: no AWS region set (set "
        "AWS_DEFAULT_REGION or "
        "give the profile a region)"
    ]


class FailingStack:
    """A CloudFormation client whose stack rolls back, as the real one reports it."""

    def __init__(self) -> None:
        self.status = "REVIEW_IN_PROGRESS"
        self.meta = SimpleNamespace(region_name=REGION)
        self.events: list[dict] = []

    def _event(self, resource: str, status: str, reason: str = "") -> None:
        self.events.insert(
            0,
            {
                "EventId": f"e{len(self.events)}",
                "Timestamp": datetime(2026, 1, 1, tzinfo=UTC),
                "LogicalResourceId": resource,
                "ResourceType": "AWS::X",
                "ResourceStatus": status,
                "ResourceStatusReason": reason,
            },
        )

    def describe_stacks(self, StackName):
        return {"Stacks": [{"StackStatus": self.status, "StackId": "id"}]}

    def describe_stack_events(self, StackName):
        return {"StackEvents": list(self.events)}

    def execute_change_set(self, ChangeSetName):
        self._event("csf", "CREATE_IN_PROGRESS")
        self._event("SubmissionsRule", "CREATE_FAILED", "Could not write to bucket")
        self._event("IngestFunction", "CREATE_FAILED", "Resource creation cancelled")
        self._event("csf", "ROLLBACK_COMPLETE")
        self.status = "ROLLBACK_COMPLETE"


def test_a_failed_stack_gives_the_first_failure_reason():
    from compelling_cli.deploy.stack import Plan

    client = FailingStack()
    client._event("csf", "REVIEW_IN_PROGRESS", "from before")
    shown = []
    deployment = Deployment("csf", clients={"cloudformation": client})

    with pytest.raises(DeployError) as raised:
        deployment.execute(Plan("csf", "CREATE", "cs"), shown.append)

    assert str(raised.value) == (
        "the stack csf failed (ROLLBACK_COMPLETE): SubmissionsRule: Could not write "
        "to bucket (the events above show the rest; fix it and deploy again)"
    )
    assert [e.status for e in shown] == [
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
    ]


def test_boto3_waits_until_deploy_runs():
    code = "import sys; import compelling_cli.cli; print('boto3' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert done.stdout.strip() == "False"


def test_an_unconfirmed_alarm_subscription_is_left_to_do():
    pending = {"Subscriptions": [{"SubscriptionArn": "PendingConfirmation"}]}
    confirmed = {"Subscriptions": [{"SubscriptionArn": "arn:aws:sns:x:1:t:abc"}]}
    for answer, expected in ((pending, True), (confirmed, False)):
        sns = SimpleNamespace(list_subscriptions_by_topic=lambda TopicArn, a=answer: a)
        deployment = Deployment("csf", clients={"sns": sns})
        assert deployment.alarm_unconfirmed("arn:aws:sns:x:1:t") is expected
