"""Ids on the AWS store, where queued letters share the table with submissions."""

from __future__ import annotations

import pytest

from compelling_cli.errors import NotFound
from compelling_cli.store.aws import AwsStore


@pytest.fixture
def store(aws) -> AwsStore:
    opened = AwsStore("compelling_submissions", "csf-test-ids")
    opened.setup()
    return opened


def test_a_letter_id_is_not_a_submission_id(store):
    store.dynamodb.put_item(
        TableName=store.table,
        Item={
            "id": {"S": "abcdefghjk.1700000000"},
            "evaluation_state": {"N": "10"},
            "timestamp": {"N": "1700000000"},
        },
    )
    with pytest.raises(NotFound, match="no submission has the id"):
        store.get("abcdefghjk.1700000000")
