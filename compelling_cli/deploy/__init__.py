"""Deploying csf's AWS side: the function's package and the CloudFormation stack."""

from __future__ import annotations

from ..errors import DeployError

__all__ = ["DeployError"]
