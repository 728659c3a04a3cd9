"""The pydantic model of a BidSwitch upload body ("Reports Object", "Report Object", rows)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from airflow_provider_adtech.formats.bidswitch.schema import check_date, check_hour, check_timezone


def _v_timezone(value: str) -> str:
    err = check_timezone(value)
    if err:
        raise PydanticCustomError("bidswitch.timezone.unknown", err)
    return value


def _v_hour(value: str) -> str:
    err = check_hour(value)
    if err:
        raise PydanticCustomError(err[0], err[1])
    return value


def _v_date(value: str) -> str:
    err = check_date(value)
    if err:
        raise PydanticCustomError(err[0], err[1])
    return value


NonNegInt = Annotated[int, Field(ge=0)]
ReportDate = Annotated[str, AfterValidator(_v_date)]


class DataRow(BaseModel):
    """One row of a day ("Report Data Values Object"); no ``hour`` means the full day."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    hour: Annotated[str, AfterValidator(_v_hour)] | None = None
    imps: NonNegInt
    cost: Annotated[float, Field(ge=0)]
    bids: NonNegInt | None = None
    timeouts: NonNegInt | None = None


class Report(BaseModel):
    """One report ("Report Object"): a seat (optional), a timezone, a currency and days of rows."""

    model_config = ConfigDict(extra="forbid", strict=True)

    seat: Annotated[str, Field(min_length=1)] | None = None
    timezone: Annotated[str, AfterValidator(_v_timezone)]
    currency: Literal["USD", "EUR", "JPY"]
    data: Annotated[dict[ReportDate, Annotated[list[DataRow], Field(min_length=1)]], Field(min_length=1)]


class DiscrepancyUpload(BaseModel):
    """The body of ``POST .../upload-report/`` ("Reports Object")."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reports: Annotated[list[Report], Field(min_length=1)]
