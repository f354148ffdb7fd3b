# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: every task result as the controller accepted it, per host and task name,
written as JSON to $AUDITKIT_RESULTS_FILE when the playbook ends (tests/reliability)."""
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: auditkit_results
type: aggregate
short_description: Record each task result per host (auditkit.auditd reliability tests)
description: Writes host, task, status and result of each task to the file named by AUDITKIT_RESULTS_FILE.
"""

KEPT = ("changed", "failed", "msg", "findings", "added", "removed", "loaded", "reason", "diff", "controls",
        "requirements", "exception", "module_stderr", "module_stdout", "rolled_back", "probe", "kernel_rules", "findings_left_out", "warnings", "errors")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "auditkit_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = {}

    def _record(self, result, status):
        host = result._host.get_name()
        data = dict((key, value) for key, value in result._result.items() if key in KEPT)
        self.results.setdefault(host, {})[result._task.get_name()] = {"status": status, "result": data}

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["AUDITKIT_RESULTS_FILE"], "w") as handle:
            json.dump(self.results, handle, default=str)
