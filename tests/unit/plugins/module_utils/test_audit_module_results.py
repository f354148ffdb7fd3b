# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Results the controller accepts (audit_module.printable/guard) and the undo of writes
(audit_host.undo_step): issue 13."""
import json
import os

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"


def test_printable_shows_each_undecodable_byte_as_an_escape():
    text, invalid = H.decode(b"# r\xe9gle \xff\xfe ok \xc3\xa9")
    assert invalid and H.encode(text) == b"# r\xe9gle \xff\xfe ok \xc3\xa9"  # the file's bytes survive
    shown = M.printable({"findings": [{"text": text}], text: [text], "n": 3, "b": None})
    assert shown["findings"][0]["text"] == "# r\\xe9gle \\xff\\xfe ok \u00e9"
    assert list(shown) == ["findings", "# r\\xe9gle \\xff\\xfe ok \u00e9", "n", "b"]
    json.dumps(shown, ensure_ascii=False).encode("utf-8")  # valid UTF-8 JSON
    M.check_result(shown)
    assert M.printable("plain \u00e9 text") == "plain \u00e9 text"


class FakeModule(object):
    def __init__(self):
        self.exited, self.failed, self.warnings = None, None, []

    def exit_json(self, **kwargs):
        self.exited = kwargs

    def fail_json(self, msg, **kwargs):
        self.failed = dict(kwargs, msg=msg)

    def warn(self, warning):
        self.warnings.append(warning)

    def selinux_enabled(self):
        return False


def test_guard_makes_results_failures_and_warnings_printable():
    module = M.guard(FakeModule())
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")
    module.warn(bad)
    module.exit_json(diff=[{"before": bad}])
    module.fail_json(bad, detail=[bad])
    assert module.warnings == ["caf\\xe9"] and module.exited == {"diff": [{"before": "caf\\xe9"}]}
    assert module.failed == {"msg": "caf\\xe9", "detail": ["caf\\xe9"]}


def test_undo_steps_run_before_a_failure_is_reported(tmp_path):
    module = M.guard(FakeModule())
    existing, new = tmp_path / "a.rules", tmp_path / "b.rules"
    existing.write_bytes(b"old \xff\n")
    os.chmod(str(existing), 0o640)
    module.undo_on_failure(H.undo_step(module, str(existing)))
    module.undo_on_failure(H.undo_step(module, str(new)))
    existing.write_bytes(b"new\n")
    os.chmod(str(existing), 0o600)
    new.write_bytes(b"created\n")
    module.fail_json("boom")
    assert existing.read_bytes() == b"old \xff\n" and oct(os.stat(str(existing)).st_mode & 0o777) == "0o640"
    assert not new.exists() and module.failed["msg"] == "boom; every file written is back"


def test_failed_audit_rules_task_changed_nothing(run_module, rules_tree):
    """The rules are written, then an unknown owner fails the task: everything is as before."""
    rules_tree.write({"audit.rules": "-D\n", "30-x.rules": "# caf\xe9\n"})
    before = dict((name, (rules_tree.rules_dir / name).read_bytes()) for name in os.listdir(str(rules_tree.rules_dir)))
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT], owner="no-such-user-auditkit", backup=True))
    assert result["failed"] and "every file written is back" in result["msg"], result
    after = dict((name, (rules_tree.rules_dir / name).read_bytes()) for name in os.listdir(str(rules_tree.rules_dir)))
    assert after == before


@pytest.mark.parametrize("data", [b"\xff\xfe-w /etc/passwd\n", b"# r\xe9gle\n-D\n", b"ok\n"])
def test_audit_rules_result_is_valid_utf8_and_the_file_keeps_its_bytes(run_module, rules_tree, data):
    (rules_tree.rules_dir / "audit.rules").write_bytes(data)
    result = run_module(audit_rules, diff=True, **rules_tree.args(rules=[INIT]))
    json.dumps(result, ensure_ascii=False).encode("utf-8")
    assert (rules_tree.rules_dir / "audit.rules").read_bytes() == data + INIT.encode() + b"\n"


def test_a_bug_after_the_write_is_undone_and_reported(run_module, rules_tree, monkeypatch):
    rules_tree.write({"audit.rules": "-D\n"})

    def broken_attributes(*_args, **_kwargs):
        raise RuntimeError("injected after the write")

    monkeypatch.setattr(audit_rules, "_set_attributes", broken_attributes)
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT]))
    assert result["failed"] and "injected after the write" in result["msg"], result
    assert "every file written is back" in result["msg"] and rules_tree.read("audit.rules") == "-D\n"
