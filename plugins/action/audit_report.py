# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_report on the controller: collects every play host's registered result and writes the
report there, whatever host the task runs for (documentation: plugins/modules/audit_report.py)."""

from __future__ import annotations

import datetime

from ansible.plugins.action import ActionBase

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_checklists as CK
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF

# registered by roles/module_loading/tasks/reboot.yml: the judge before, the reboot, the judge after
REBOOT_VARS = ("auditkit_reboot_before", "auditkit_rebooted", "auditkit_reboot_after")


def _plain(value):
    """Registered results as plain dicts, lists and strings."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    @staticmethod
    def _collect(hostvars, hosts, names):
        """{var: {host: its value, or None when the host has none}} for each var name (or None),
        and {host: its checklist target (IP, FQDN, MAC) from its facts, empty without}; each host's
        variables are built once (a hostvars lookup computes all of them), and of its facts only
        the target is kept (a fleet's facts would not fit in memory)."""
        collected, targets = dict((name, {}) for name in names), {}
        for host in hosts:
            host_vars = hostvars[host] if host in hostvars else {}
            for name in names:
                collected[name][host] = _plain(host_vars[name]) if name and name in host_vars else None
            targets[host] = CK.target_of(host_vars.get("ansible_facts") if "ansible_facts" in host_vars else None)
        return collected, targets

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=RF.OPTIONS)
        hostvars = task_vars.get("hostvars", {})
        hosts = params["hosts"] if params["hosts"] is not None else list(task_vars.get("ansible_play_hosts_all", []))
        load_var = params["load_var"] if params["kind"] == "remediation" else None
        # auditkit_profile as the inventory sets it: the STIG of a host that could not be judged
        # the reboot step of an immutable host (roles/module_loading/tasks/reboot.yml) in a remediation record
        reboot_vars = REBOOT_VARS if load_var else ()
        names = (params["result_var"], params["plan_var"], params["rules_file_var"], params["probe_var"],
                 params["waivers_var"], load_var, "auditkit_profile") + reboot_vars
        found, targets = self._collect(hostvars, hosts, names)
        reboots = dict((host, tuple(found[name][host] for name in reboot_vars)) for host in hosts) if reboot_vars else None
        results = params["results"] if params["results"] is not None else found[params["result_var"]]
        plans = params["plans"] if params["plans"] is not None else found[params["plan_var"]]
        rules_files, probes = found[params["rules_file_var"]], found[params["probe_var"]]
        # each host's own waivers (host_vars, group_vars, extra vars), never the waivers of the host this task runs for
        host_waivers = found[params["waivers_var"]]
        now = datetime.datetime.now(datetime.timezone.utc)
        written, error = RF.outcome(
            lambda: RF.run_report(params, results, plans, hosts, rules_files, now, self._task.check_mode, probes,
                                  host_waivers, found[load_var], targets, found["auditkit_profile"], reboots),
            "report", params["dest"], self._task.diff)
        if error:
            return dict(result, failed=True, msg=error)
        if "diff" in written:  # --diff: one line for the report files, not their metadata per file
            written["diff"] = RF.diff_summary(written["diff"], written["report_dir"])
        result.update(written)
        return result
