# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A failed module's stderr in the host's error reason: bounded, whitespace folded, not repeated."""
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD


def test_stderr_is_appended_bounded_and_not_repeated():
    failed = {"failed": True, "msg": "Module result deserialization failed: No start of json char found",
              "module_stderr": "/bin/sh: 1: sudo: not found\n", "rc": 127}
    assert RD.problem_of(failed) == ("error", "Module result deserialization failed: No start of json char found; "
                                              "stderr: /bin/sh: 1: sudo: not found")
    long = dict(failed, module_stderr="Traceback\n" + "x" * 5000)
    message = RD.problem_of(long)[1]
    assert message.endswith("...") and len(message) < len(failed["msg"]) + RD.MAX_STDERR + 20
    already = dict(failed, msg="Task failed: sudo: not found", module_stderr="sudo: not found")
    assert RD.problem_of(already) == ("error", "Task failed: sudo: not found")
