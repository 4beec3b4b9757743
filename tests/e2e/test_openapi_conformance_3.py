"""Part 3 of the schemathesis run against the app's own spec (ADR 0010); the parts and
why there are several: tests/e2e/openapi_conformance_support.py."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.e2e.openapi_conformance_support import check_part


@pytest.mark.parametrize("runtime", ["sqlite"], indirect=True)  # the spec is backend-free
def test_schemathesis_finds_no_mismatch(api: Api) -> None:
    check_part(api, api.one_of_each(), 3)
