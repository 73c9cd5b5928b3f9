"""What the AWS store, the SES outbox and the Lambda share: clients and errors.

boto3 is imported inside the functions, so importing this module costs nothing.
Clients read ``AWS_PROFILE``, the region and ``AWS_ENDPOINT_URL`` as boto3 does; csf
overrides none of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import CsfError, StoreError

THROTTLED = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)
DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)


_SESSIONS: dict[tuple[str | None, ...], Any] = {}
_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


def client(service: str) -> Any:
    """A boto3 client configured only by the environment and the AWS profile.

    Clients share one boto3 session while the environment stays the same, so the
    service models and the credentials are loaded once.
    """
    import boto3

    key = tuple(os.environ.get(name) for name in _ENVIRONMENT)
    with translated(f"cannot use {service}"):
        if key not in _SESSIONS:
            _SESSIONS.clear()
            _SESSIONS[key] = boto3.session.Session()
        return _SESSIONS[key].client(service)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, else ''."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(exc)


@contextmanager
def translated(what: str, error: type[CsfError] = StoreError) -> Iterator[None]:
    """Turn botocore's failures common to every service into one-line errors.

    ``what`` says what csf was doing; errors a caller knows better (a missing table,
    a missing object) are left for the caller to catch first.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise error(
            f"{what}: no AWS credentials found",
            "set AWS_PROFILE, or run aws configure",
        ) from exc
    except NoRegionError as exc:
        raise error(
            f"{what}: no AWS region set",
            "set AWS_DEFAULT_REGION or give the profile a region",
        ) from exc
    except ProfileNotFound as exc:
        raise error(
            f"{what}: {exc}", "check AWS_PROFILE against ~/.aws/config"
        ) from exc
    except EndpointConnectionError as exc:
        raise error(
            f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'AWS')}",
            "check the network, the region and AWS_ENDPOINT_URL",
        ) from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in DENIED:
            raise error(
                f"{what}: AWS denied access ({code}: {error_message(exc)})",
                "the README lists the IAM permissions csf needs",
            ) from exc
        if code in THROTTLED:
            raise error(
                f"{what}: AWS is throttling the requests, even after retries",
                "try again in a minute",
            ) from exc
        raise error(f"{what}: {code}: {error_message(exc)}") from exc
    except BotoCoreError as exc:
        raise error(f"{what}: {exc}") from exc
