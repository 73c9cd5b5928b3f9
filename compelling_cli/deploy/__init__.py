"""Deploying csf's AWS side: the function's package and the CloudFormation stack."""

from __future__ import annotations

from ..errors import CsfError


class DeployError(CsfError):
    """The package cannot be built, or the stack cannot be made as asked."""
