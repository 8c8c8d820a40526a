"""Fixtures of the template tests: the moto launcher of tests/moto_ext (one server per module)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# tests/moto_ext/conftest.py holds the launcher (Server); load it under another name so the two
# conftest modules never shadow each other.
_spec = importlib.util.spec_from_file_location("moto_ext_conftest", ROOT / "tests/moto_ext/conftest.py")
_moto_ext = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_moto_ext)
Server = _moto_ext.Server


@pytest.fixture(scope="module")
def server():
    # AWS managed policies served: the grantor roles attach AWSLakeFormationCrossAccountManager.
    s = Server("--managed-policies")
    yield s
    s.stop()
