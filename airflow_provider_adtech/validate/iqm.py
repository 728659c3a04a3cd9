"""``adtech-validate iqm``: campaign change files (``apply_changes``: JSON array or JSON Lines)
checked by ``formats.iqm.read_changes``, as the operator reads them."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_adtech.validate.common import Outcome, open_text

HELP = "IQM campaign change files (JSON array or JSON Lines)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options of its own: ``--now`` is the time end dates must lie after."""


def check(paths: list[str], args: argparse.Namespace, outcome: Outcome, progress: Any) -> None:
    from airflow_provider_adtech.formats.errors import ValidationFailed
    from airflow_provider_adtech.formats.iqm import read_changes

    for path in paths:
        # the operator reads a changes file whole too: it is one record per campaign
        with open_text(path, progress, encoding="utf-8") as fh:
            text = fh.read()
        try:
            changes = read_changes(text, path, now=args.now, limit=args.max_problems)
        except ValidationFailed as exc:
            outcome.failed(exc)
            continue
        outcome.count_rows(len(changes))
