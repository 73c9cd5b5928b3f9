"""The AWS store's own behaviour: setup, the calls it makes, and its errors.

The interface itself is tested in test_store.py, against both stores.
"""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest

from compelling_cli.errors import NotFound, StoreError
from compelling_cli.model import State, Submission
from compelling_cli.store.aws import INDEX, AwsStore

TABLE = "compelling_submissions"
BUCKET = "csf-parts"


def submission(n: int, state: State = State.UNREAD) -> Submission:
    return Submission(
        id=f"sub{n:07d}",
        email=f"a{n}@example.com",
        timestamp=1_700_000_000 + n,
        state=state,
        parts=["raw.eml"],
    )


def calls(client) -> list[tuple[str, dict]]:
    """Every call ``client`` makes from now on: (operation, parameters)."""
    made: list[tuple[str, dict]] = []
    client.meta.events.register(
        "before-parameter-build.*.*",
        lambda model, params, **_: made.append((model.name, dict(params))),
    )
    return made


def inject(client, operation: str, code: str) -> None:
    """Make every call of ``operation`` fail with ``code``, as AWS would answer."""
    service = client.meta.service_model.service_id.hyphenize()
    response = (
        SimpleNamespace(status_code=400, headers={}),
        {"Error": {"Code": code, "Message": "injected"}},
    )
    client.meta.events.register(
        f"before-call.{service}.{operation}", lambda **_: response
    )


@pytest.fixture
def store(aws) -> AwsStore:
    opened = AwsStore(TABLE, BUCKET)
    opened.setup()
    return opened


@pytest.fixture
def on_aws(aws, monkeypatch):
    """csf pointed at the mocked account."""
    monkeypatch.setenv("CSF_BACKEND", "aws")
    monkeypatch.setenv("CSF_BUCKET", BUCKET)


def legacy_table() -> None:
    """The table as the original Lambda made it: no index, items with five fields."""
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    for n, stamp in ((1, 1_600_000_300), (2, 1_600_000_100), (3, 1_600_000_200)):
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "id": {"S": f"old{n:07d}"},
                "email": {"S": f"writer{n}@example.com"},
                "evaluation_state": {"N": "0"},
                "timestamp": {"N": str(stamp)},
                "s3_postfixes": {"L": [{"S": "raw.eml"}, {"S": "body.txt"}]},
            },
        )


def test_setup_creates_the_table_index_and_bucket_then_finds_them(on_aws, csf):
    first = csf("setup")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        f"Created the table {TABLE} with the index {INDEX}",
        f"Created the bucket {BUCKET}",
    ]
    table = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    [index] = table["GlobalSecondaryIndexes"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == [
        "evaluation_state",
        "timestamp",
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}

    again = csf("setup")
    assert again.output.splitlines() == [
        f"Found the table {TABLE} with the index {INDEX}",
        f"Found the bucket {BUCKET}",
    ]


def test_setup_adds_the_index_to_the_original_table_losing_nothing(on_aws, csf):
    legacy_table()

    result = csf("setup")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"Added the index {INDEX} to the table {TABLE}; no item changed"
    )
    store = AwsStore(TABLE, BUCKET)
    assert [s.id for s in store.list()] == ["old0000002", "old0000003", "old0000001"]
    assert store.next_unread().email == "writer2@example.com"
    assert store.get("old0000001").parts == ["raw.eml", "body.txt"]


def test_setup_gives_a_provisioned_table_an_index_with_its_throughput(aws):
    legacy_table()
    store = AwsStore(TABLE)
    made = calls(store.dynamodb)

    store.setup()

    [(_, update)] = [c for c in made if c[0] == "UpdateTable"]
    [create] = update["GlobalSecondaryIndexUpdates"]
    assert create["Create"]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 5,
    }


def test_setup_without_a_bucket_creates_only_the_table(aws):
    assert AwsStore(TABLE).setup() == [
        f"Created the table {TABLE} with the index {INDEX}"
    ]


def test_next_is_one_query_reading_one_item(store):
    for n in range(30):
        store.add(submission(n), {"raw.eml": b"x"})
    made = calls(store.dynamodb)

    assert store.next_unread().id == "sub0000000"

    assert [name for name, _ in made] == ["Query"]
    assert made[0][1]["IndexName"] == INDEX and made[0][1]["Limit"] == 1


def test_list_pages_through_the_index_and_nothing_scans(store):
    for n in range(5):
        store.add(submission(n, State.HELD if n % 2 else State.UNREAD), {})
    made = calls(store.dynamodb)
    made_s3 = calls(store.s3)

    assert [s.id for s in store.list()] == [f"sub{n:07d}" for n in range(5)]
    store.transition("sub0000000", State.UNREAD, State.REJECTED, at=5)
    store.get("sub0000001")

    names = {name for name, _ in made}
    assert "Scan" not in names
    assert names == {"Query", "UpdateItem", "GetItem"}
    assert made_s3 == []


def test_list_follows_the_pages_of_a_state(store, monkeypatch):
    for n in range(7):
        store.add(submission(n), {})
    made = calls(store.dynamodb)
    original = store._by_state
    monkeypatch.setattr(
        store, "_by_state", lambda *a, **k: {**original(*a, **k), "Limit": 3}
    )

    assert [s.id for s in store.list(State.UNREAD)] == [f"sub{n:07d}" for n in range(7)]
    assert len(made) == 3


def test_a_decision_is_one_conditional_update(store):
    store.add(submission(1), {})
    made = calls(store.dynamodb)

    store.transition("sub0000001", State.UNREAD, State.HELD, at=9)

    [(name, params)] = made
    assert name == "UpdateItem"
    assert "evaluation_state = :expected" in params["ConditionExpression"]


def test_add_puts_the_item_only_if_absent(store):
    made = calls(store.dynamodb)
    store.add(submission(1), {})
    [put] = [p for name, p in made if name == "PutItem"]
    assert put["ConditionExpression"] == "attribute_not_exists(id)"


def test_items_leave_out_empty_values_and_keep_the_original_names(store):
    store.add(submission(1), {"raw.eml": b"x"})
    item = boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"id": {"S": "sub0000001"}}
    )["Item"]
    assert sorted(item) == [
        "email",
        "evaluation_state",
        "id",
        "s3_postfixes",
        "timestamp",
        "word_count",
    ]
    assert item["evaluation_state"] == {"N": "0"}
    assert item["s3_postfixes"] == {"L": [{"S": "raw.eml"}]}


def test_parts_live_under_submissions_in_the_bucket(store):
    store.add(submission(1), {"raw.eml": b"raw", "attachments/story.docx": b"d"})
    body = boto3.client("s3").get_object(
        Bucket=BUCKET, Key="submissions/sub0000001/attachments/story.docx"
    )["Body"]
    assert body.read() == b"d"


def test_a_prefix_is_not_enough_on_aws(store):
    store.add(submission(1), {})
    with pytest.raises(NotFound) as caught:
        store.get("sub0")
    assert str(caught.value) == (
        "no submission has the id 'sub0' "
        "(give all 10 characters: on AWS a prefix will not do)"
    )


def test_ids_are_read_in_lower_case(store):
    store.add(submission(1), {})
    assert store.get(" SUB0000001 ").id == "sub0000001"


def test_a_missing_table_names_csf_setup(on_aws, csf):
    result = csf("next")
    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: the DynamoDB table {TABLE} does not exist "
        "(run csf setup, or set CSF_TABLE)\n"
    )


def test_a_missing_index_names_csf_setup(on_aws, csf):
    legacy_table()
    result = csf("next")
    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: the table {TABLE} has no index {INDEX} "
        "(run csf setup to add it)\n"
    )


def test_a_missing_bucket_names_csf_setup(aws):
    store = AwsStore(TABLE, "no-such-bucket")
    with pytest.raises(StoreError) as caught:
        store.read_part("sub0000001", "raw.eml")
    assert str(caught.value) == (
        "the S3 bucket no-such-bucket does not exist (run csf setup, or set CSF_BUCKET)"
    )


def test_no_bucket_set_is_a_clear_error(aws):
    with pytest.raises(StoreError, match=r"^no S3 bucket is set for the parts \("):
        AwsStore(TABLE).read_part("sub0000001", "raw.eml")


def test_access_denied_is_one_line_pointing_at_the_policy(store):
    inject(store.dynamodb, "Query", "AccessDeniedException")
    with pytest.raises(StoreError) as caught:
        store.next_unread()
    assert str(caught.value) == (
        "cannot read the queue: AWS denied access (AccessDeniedException: injected) "
        "(the README lists the IAM permissions csf needs)"
    )


def test_throttling_after_retries_is_one_line(store):
    inject(store.dynamodb, "Query", "ProvisionedThroughputExceededException")
    with pytest.raises(StoreError) as caught:
        store.next_unread()
    assert str(caught.value) == (
        "cannot read the queue: AWS is throttling the requests, even after retries "
        "(try again in a minute)"
    )


def test_no_credentials_is_one_line(csf, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    result = csf("--backend", "aws", "next")

    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: cannot read the queue: no AWS credentials found "
        "(set AWS_PROFILE, or run aws configure)\n"
    )


def test_no_region_is_one_line(csf, monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    result = csf("--backend", "aws", "list")

    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: cannot use dynamodb: no AWS region set "
        "(set AWS_DEFAULT_REGION or give the profile a region)\n"
    )


def test_an_unknown_profile_is_one_line(csf, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_PROFILE", "slush")

    result = csf("--backend", "aws", "next")

    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: cannot use dynamodb: The config profile (slush) could not be "
        "found (check AWS_PROFILE against ~/.aws/config)\n"
    )


def test_the_editor_works_the_queue_on_aws(on_aws, csf):
    store = AwsStore(TABLE, BUCKET)
    store.setup()
    store.add(submission(2), {"raw.eml": b"From: a2@example.com\r\n\r\nhi"})
    store.add(submission(1), {"raw.eml": b"From: a1@example.com\r\n\r\nhi"})

    shown = csf("next", "--json")
    assert shown.exit_code == 0, shown.output
    assert '"id": "sub0000001"' in shown.output

    decided = csf("hold", "--no-letter")
    assert decided.exit_code == 0, decided.output
    assert store.get("sub0000001").state is State.HELD
    assert store.next_unread().id == "sub0000002"
