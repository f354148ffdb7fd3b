# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/conftest.py's skip summary and its CI rule, run on a throwaway suite by pytest itself."""
import os

import pytest

pytest_plugins = ["pytester"]
CONFTEST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conftest.py")
SUITE = """
import pytest

@pytest.mark.parametrize("n", range(3))
def test_upstream_judge(n):
    pytest.skip("no audit userspace tarballs at X (a clone without ../shared)")

def test_display():
    pytest.skip("no display here")

def test_runs():
    pass
"""


@pytest.fixture
def suite(pytester, monkeypatch):
    tests = pytester.mkdir("tests")  # as in this checkout: ../shared is beside the checkout, tests/ in it
    with open(CONFTEST) as handle:
        (tests / "conftest.py").write_text(handle.read())
    (tests / "test_suite.py").write_text(SUITE)
    for name in ("CI", "AUDITKIT_STRICT_SKIPS", "AUDITKIT_SKIP_LOG"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_one_line_per_skip_reason_and_the_log(suite, monkeypatch):
    log = suite.path / "skips.log"
    monkeypatch.setenv("AUDITKIT_SKIP_LOG", str(log))
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["3 tests skipped: ../shared absent", "1 tests skipped: no display here"])
    assert log.read_text().splitlines()[0].endswith(": 3 tests skipped: ../shared absent")


def test_ci_fails_when_shared_is_there_and_its_tests_skipped(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert suite.runpytest_subprocess("-p", "no:cacheprovider").ret == 0  # no ../shared beside it: skips expected
    (suite.path.parent / "shared").mkdir()
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED (CI): skipped although this machine provides it: no audit userspace*"])
    monkeypatch.setenv("AUDITKIT_STRICT_SKIPS", "0")
    assert suite.runpytest_subprocess("-p", "no:cacheprovider").ret == 0
