"""The vendor emulations served by the sandbox, one module each."""

from __future__ import annotations

from airflow_provider_adtech.sandbox.bidswitch import BidSwitchSandbox
from airflow_provider_adtech.sandbox.freewheel import FreeWheelSandbox
from airflow_provider_adtech.sandbox.iqm import IqmSandbox
from airflow_provider_adtech.sandbox.ispot import IspotSandbox
from airflow_provider_adtech.sandbox.oi import OiSandbox

VENDOR_CLASSES = [IspotSandbox, BidSwitchSandbox, FreeWheelSandbox, IqmSandbox, OiSandbox]
