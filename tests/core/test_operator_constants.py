"""Operators keep a few vendor limits as literals (so a DAG file need not import the formats
at parse time); each must equal the rule's one home in ``formats``."""

from __future__ import annotations


def test_ispot_operator_defaults_are_the_documents_part_sizes():
    from airflow_provider_adtech.formats.ispot import schema
    from airflow_provider_adtech.operators import ispot

    assert ispot.DEFAULT_MAX_FILE_SIZE == schema.MAX_PART_BYTES
    assert ispot.DEFAULT_MIN_FILE_SIZE == schema.MIN_PART_BYTES


def test_freewheel_operator_zip_limit_is_the_documents():
    from airflow_provider_adtech.formats.freewheel import schema
    from airflow_provider_adtech.operators import freewheel

    assert freewheel.MAX_ZIP_BYTES == schema.MAX_ZIP_BYTES
