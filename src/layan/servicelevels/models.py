"""Service-level data. The on-call models live in oncall_models.py and are imported here so Django
finds them."""

from layan.servicelevels.oncall_models import (  # noqa: F401 - registered with the app through this import
    OnCallMember,
    OnCallOverride,
    OnCallPage,
    OnCallPageDelivery,
    OnCallRotation,
)
