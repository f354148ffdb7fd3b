# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/audit_report_files.py on real files: check mode writes nothing, a second write
changes nothing, a mode-only difference is a change, a failed write replaces no file and leaves
no temporary file, and the option parsing and error mapping the report entry points share."""
import datetime
import os
import stat

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF

FILES = {"report.json": "{}\n", "summary.md": "# r\n", "junit.xml": "<testsuites/>\n"}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _listing(directory):
    return sorted(os.listdir(directory))


def test_check_mode_writes_nothing_and_says_what_would_change(tmp_path):
    dest = str(tmp_path / "reports")
    paths, changed, diffs = RF.write_files(dest, FILES, check_mode=True)
    assert changed and not os.path.exists(dest)
    assert paths == [os.path.join(dest, name) for name in sorted(FILES)]
    assert [d["before"]["state"] for d in diffs] == ["absent"] * len(FILES)
    assert all(d["after"]["mode"] == "0640" for d in diffs)


def test_write_then_rewrite_changes_nothing(tmp_path):
    dest = str(tmp_path / "reports")
    paths, changed, _diffs = RF.write_files(dest, FILES, mode=0o600)
    assert changed and _listing(dest) == sorted(FILES)
    assert all(_mode(p) == 0o600 for p in paths)
    assert _mode(dest) == 0o750
    for path in paths:
        with open(path) as handle:
            assert handle.read() == FILES[os.path.basename(path)]
    again = RF.write_files(dest, FILES, mode=0o600)
    assert again == (paths, False, [])


def test_mode_only_difference_is_a_change_and_keeps_the_content(tmp_path):
    dest = str(tmp_path / "reports")
    RF.write_files(dest, FILES)
    path = os.path.join(dest, "summary.md")
    os.chmod(path, 0o644)
    inode = os.stat(path).st_ino
    _paths, changed, diffs = RF.write_files(dest, FILES)
    assert changed and [d["before_header"] for d in diffs] == [path]
    assert (diffs[0]["before"]["mode"], diffs[0]["after"]["mode"]) == ("0644", "0640")
    assert diffs[0]["before"]["sha1"] == diffs[0]["after"]["sha1"]
    assert _mode(path) == 0o640 and os.stat(path).st_ino == inode  # chmod, not a rewrite


def test_a_failed_write_replaces_no_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    dest = str(tmp_path / "reports")
    RF.write_files(dest, FILES)
    real_write_temp, calls = RF._write_temp, []

    def failing_second_write(path, data, mode):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write_temp(path, data, mode)

    monkeypatch.setattr(RF, "_write_temp", failing_second_write)
    changed = dict((name, text + "changed\n") for name, text in FILES.items())
    with pytest.raises(OSError):
        RF.write_files(dest, changed)
    assert _listing(dest) == sorted(FILES)  # no .auditkit-report-*.tmp left
    for name, text in FILES.items():
        with open(os.path.join(dest, name)) as handle:
            assert handle.read() == text  # the first file, written to its temporary, was not renamed in


@pytest.mark.parametrize("value", ["0640", "640", " 0640 ", 0o640, 416])
def test_parse_mode_accepts_octal_text_and_numbers(value):
    assert RF.parse_mode(value) == 0o640


@pytest.mark.parametrize("value", ["0999", "", "rw-r-----", "01000", 0o1000, -1, True, None, "0x1a0"])
def test_parse_mode_refuses_what_is_not_a_file_mode(value):
    with pytest.raises(ValueError) as refused:
        RF.parse_mode(value)
    assert "mode" in str(refused.value)


def test_outcome_maps_bad_input_and_write_errors_to_messages_and_drops_the_diff_unless_asked():
    def bad_input():
        raise ValueError("results: the values for x are not module results")

    def cannot_write():
        raise OSError(30, "Read-only file system")

    assert RF.outcome(bad_input, "report", "/r", True) == (None, "results: the values for x are not module results")
    result, message = RF.outcome(cannot_write, "report", "/r", True)
    assert result is None and message == "cannot write the report to /r: [Errno 30] Read-only file system"
    assert RF.outcome(lambda: {"changed": True, "diff": [1]}, "report", "/r", False) == ({"changed": True}, None)
    assert RF.outcome(lambda: {"changed": True, "diff": [1]}, "report", "/r", True) == (
        {"changed": True, "diff": [1]}, None)


def test_default_dest_is_a_timestamped_directory_under_auditkit_reports():
    now = datetime.datetime(2026, 12, 3, 16, 5, 9)
    assert RF.default_dest(now) == os.path.join(".", "auditkit-reports", "20261203T160509Z")
