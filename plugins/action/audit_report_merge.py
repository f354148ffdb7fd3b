# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_report_merge on the controller: one report set from the partial reports of a sliced
job (documentation: plugins/modules/audit_report_merge.py)."""

from __future__ import annotations

import datetime

from ansible.plugins.action import ActionBase

from ansible_collections.auditkit.auditd.plugins.action.audit_report import _plain
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_merge_run as RMR


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=RMR.OPTIONS)
        prefix = params["slice_var_prefix"]
        published = dict((name[len(prefix):], _plain(task_vars[name])) for name in sorted(task_vars)
                         if prefix and name.startswith(prefix) and name != prefix)
        now = datetime.datetime.now(datetime.timezone.utc)
        written, error = RF.outcome(lambda: RMR.run_merge(params, published, now, self._task.check_mode),
                                    "merged report", params["dest"], self._task.diff)
        if error:
            return dict(result, failed=True, msg=error)
        if "diff" in written:  # --diff: one line for the report files, not their metadata per file
            written["diff"] = RF.diff_summary(written["diff"], written["report_dir"])
        result.update(written)
        return result
