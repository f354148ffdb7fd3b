#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_report
short_description: Write the fleet report of drift_report or remediate --check on the controller
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin of the same name). Collects, for every host of the play
    (C(ansible_play_hosts_all), so hosts outside C(--limit) never appear), the result registered under
    O(result_var) (and, for a remediate dry run, the plan registered under O(plan_var)), gives each host and
    control one status and writes the report set into O(dest).
  - Statuses, the same in every format and in RV(summary) and RV(artifacts) - V(pass), V(fail), V(waived) (a
    failure with a justification in O(waivers)), V(not_applicable), V(error) (the module ran but could not judge,
    with its message, for example a missing rules directory when the audit package is not installed) and
    V(unreachable) (the connection failed). Run it with C(run_once=true) after a task that registered its result
    with C(ignore_errors) and C(ignore_unreachable), so hosts that failed are still in the play.
  - Files - C(report.json) (schema C(schemas/report.schema.json) in the collection), C(summary.md), a
    self-contained C(report.html) (host x control matrix first), C(junit.xml), C(report.csv) (cells that a
    spreadsheet would read as a formula are prefixed with C(')), and one STIG Viewer 3 checklist C(<host>.cklb)
    per host with STIG controls. Each file is written atomically with O(mode).
  - With O(kind=remediate_check) every status is the host's current state (what drift_report says now, from
    O(result_var)); what remediate would add or remove, in which file, and the verdict it expects afterwards are
    listed beside it as planned, from O(plan_var). CKLB checklists carry only the current state; the planned fix
    goes into each rule's comments.
  - Without the action plugin (the module run on a host) O(results) must be given.
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
  - auditkit.auditd.report_files
attributes:
  check_mode:
    description: In check mode nothing is written and C(changed) says whether a file would change. The role runs
      it with C(check_mode=false), because the report is what a dry run delivers.
    support: full
  diff_mode:
    description: One before/after entry per file that changes (state, mode, SHA-1 of the content), so a mode-only
      change is visible.
    support: full
options:
  dest:
    description: The report directory, created (mode 0750) if missing. Existing report files in it are replaced.
      Default C(./auditkit-reports/<UTC timestamp>) relative to the working directory of ansible-playbook.
    type: path
  results:
    description: Host name to its registered result, instead of collecting O(result_var) from every host.
    type: dict
  result_var:
    description: The registered variable holding each host's current verdicts (an M(auditkit.auditd.audit_rules_info)
      result, or an M(auditkit.auditd.audit_rules) result).
    type: str
    default: auditkit_info
  plans:
    description: Host name to its M(auditkit.auditd.audit_rules) check-mode result, instead of collecting O(plan_var).
    type: dict
  plan_var:
    description: With O(kind=remediate_check), the registered M(auditkit.auditd.audit_rules) check-mode result of each
      host (its RV(auditkit.auditd.audit_rules#module:planned), RV(auditkit.auditd.audit_rules#module:added) and
      RV(auditkit.auditd.audit_rules#module:removed)).
    type: str
  rules_file_var:
    description: With O(kind=drift_report), the host variable naming the file remediate would write; the missing
      lines of failing controls are listed as planned additions to it.
    type: str
    default: auditkit_rules_file
  probe_var:
    description: The registered M(auditkit.auditd.audit_rules_probe) result of each host (the role registers it when
      C(auditkit_probe) is on); its per-control status (recorded, not_recorded, inconclusive) is shown beside the
      verdicts. Hosts without it have no probe entry.
    type: str
    default: auditkit_probe_result
  hosts:
    description: The hosts to report on. Default C(ansible_play_hosts_all) (with the action plugin) or the keys of
      O(results).
    type: list
    elements: str
  waivers:
    description:
      - Control ID to the written justification for accepting its failure, for B(every) host of the report. A key is
        any ID the catalog knows for the control (V-, SV- with or without its revision, STIG ID, CIS number, catalog
        ID; any case); a key no bundled control has fails the task with close matches, and nothing is written.
      - Each host's own waivers come from O(waivers_var) instead; they apply to that host only.
    type: dict
    default: {}
  waivers_var:
    description:
      - The variable holding each host's own waivers (the role's C(auditkit_waivers), from host_vars, group_vars,
        the inventory or extra vars), read from every host of the play; they apply to that host only and are
        added to O(waivers). Each waived row names its scope (the host and the key) in every format.
    type: str
    default: auditkit_waivers
  title:
    description: Title of the report. Default names the kind, for example C(auditkit.auditd remediate dry run (check
      mode) - current state and planned changes).
    type: str
  kind:
    description:
      - What produced the results - V(drift_report), V(remediate_check) (a dry run of remediate) or V(remediation)
        (the record of a real remediate run - O(plan_var) names each host's M(auditkit.auditd.audit_rules) result,
        O(load_var) its load result, and O(result_var) the verdicts judged again after the load).
    type: str
    choices: [drift_report, remediate_check, remediation]
    default: drift_report
  load_var:
    description: With O(kind=remediation), the registered M(auditkit.auditd.audit_rules_load) result of each host (the
      handler's); a host without one is reported as not loaded, with the reason.
    type: str
    default: auditkit_load_result
  return_report:
    description: Also return the report document (RV(report)), for example to publish one slice's report of an AWX
      sliced job for M(auditkit.auditd.audit_report_merge).
    type: bool
    default: false
  baseline:
    description:
      - A previous report to compare with - its C(report.json), a run's report directory, or a directory of runs (its
        C(latest) run, else the newest run directory holding a C(report.json)).
      - Every host and control then gets a C(transition) beside its status - V(fixed), V(regressed),
        V(still_failing), V(unchanged) or V(new); pairs of the baseline missing from this run are listed as V(gone).
        The rule-level change (required lines missing now or restored, evidence lines that disappeared or appeared on
        disk and in the kernel) comes from the evidence both reports carry. Every format shows it.
      - A report document (a dict) works too - the C(baseline_document) that O(return_baseline) returns, published by
        an earlier workflow node as the artifact C(auditkit_report_baseline).
      - A baseline of another report C(schema_version) is refused with a message naming it; nothing is written.
    type: raw
  history:
    description:
      - Treat O(dest) as a root of runs - this run is written to C(<dest>/<UTC>/), then C(<dest>/latest) is pointed at it
        atomically (a symlink renamed over the old one) and C(<dest>/history.json) gets the run's summary row and, per
        host, the run in which its verdicts last changed; the HTML report shows the trend over the kept runs.
      - Without O(dest) the runs go to C(./auditkit-reports/<UTC>/), which is a root of runs in any case.
      - A baseline given as the root compares with its C(latest) run, the run before this one.
    type: bool
    default: false
  keep:
    description: How many runs a root of runs keeps, this one included (0 - all). Older run directories are removed
      after this run is written; the run of O(baseline) is never removed.
    type: int
    default: 0
  return_baseline:
    description: Also return RV(baseline_document), this report's verdicts in the smallest form a later comparison
      reads (to publish as a job artifact).
    type: bool
    default: false
seealso:
  - module: auditkit.auditd.audit_rules_info
  - module: auditkit.auditd.audit_rules
"""

EXAMPLES = r"""
- name: Judge each host; keep failed and unreachable hosts in the play for the report
  auditkit.auditd.audit_rules_info:
    profile: auto
  register: auditkit_info
  ignore_errors: true
  ignore_unreachable: true

- name: Write the fleet report once, on the controller
  auditkit.auditd.audit_report:
    dest: "./auditkit-reports/{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}"
    result_var: auditkit_info
    waivers:
      V-274092: create_module does not exist since Linux 2.6; accepted by the ISSO on 2026-11-01
  run_once: true
  delegate_to: localhost
  check_mode: false
"""

RETURN = r"""
report_dir:
  description: The report directory.
  returned: always
  type: str
files:
  description: Paths of the report files (written, or that would be written in check mode).
  returned: always
  type: list
  elements: str
summary:
  description: C(hosts) (count), C(host_status) (hosts per status), C(checked) (hosts judged), C(error),
    C(unreachable), C(compliant_hosts), and C(controls) (host-control verdicts per status).
  returned: always
  type: dict
drift:
  description: True when a host has a failing control, an error or is unreachable (what C(auditkit_fail_on_drift)
    gates on).
  returned: always
  type: bool
headline:
  description: One line with the host counts per status.
  returned: always
  type: str
artifacts:
  description:
    - What the role publishes with C(set_stats) as C(auditkit_report) (AWX job artifacts), bounded in size.
    - C(kind), C(report_dir), C(files), C(drift), C(summary) (C(hosts), C(host_status), C(controls)), and C(hosts),
      host name to C(status), C(error) (message or null), C(failing_controls) (IDs), C(planned) (at most 50 entries of
      C(control), C(action) V(add) or V(remove), C(file), C(line) (the text of the rule line)) and C(truncated)
      (true when more than 50 were planned).
    - With O(baseline), also C(transitions) (counts), C(baseline) (its path), C(baseline_generated_at), C(gone_hosts)
      and C(host_transitions), host name to C(transition), C(regressed) and C(fixed) (control IDs).
    - For V(drift_report), C(planned) lists the missing lines of failing controls as additions to the host's
      O(rules_file_var) file; for V(remediate_check) it is the plan of M(auditkit.auditd.audit_rules).
  returned: always
  type: dict
regressions:
  description: How many host-control pairs regressed since O(baseline) (what C(auditkit_fail_on_regression) gates on);
    0 without a baseline.
  returned: always
  type: int
regressed:
  description: The first 50 regressed pairs, each C(<host> <control ID>).
  returned: always
  type: list
  elements: str
transitions:
  description: Host-control pairs per transition since O(baseline) (C(fixed), C(regressed), C(still_failing),
    C(unchanged), C(new), C(gone)); null without a baseline.
  returned: always
  type: dict
baseline:
  description: The C(report.json) compared with, or null.
  returned: always
  type: str
since_baseline:
  description: One line with the transition counts and the baseline, or an empty string.
  returned: always
  type: str
report_root:
  description: The root of runs, when the report was written into one (O(history), or no O(dest)).
  returned: when written into a root of runs
  type: str
latest:
  description: The C(latest) pointer of the root of runs.
  returned: when written into a root of runs
  type: str
pruned:
  description: The run directories removed by O(keep).
  returned: when written into a root of runs
  type: list
  elements: str
baseline_document:
  description: Per host its status and per control C(id), C(catalog_id), C(status), C(missing) and C(evidence); a
    report document O(baseline) reads.
  returned: when O(return_baseline=true)
  type: dict
report:
  description: The report document (the content of C(report.json), schema C(schemas/report.schema.json)).
  returned: when O(return_report=true)
  type: dict
diff:
  description: Per changed file, C(before) and C(after) with C(state), C(mode) and C(sha1), in diff mode.
  returned: when a file changes
  type: list
  elements: dict
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF


def main():
    module = AnsibleModule(argument_spec=RF.OPTIONS, supports_check_mode=True)
    params = module.params
    if params["results"] is None:
        module.fail_json(msg="results is required when audit_report runs as a module (the action plugin collects "
                             "result_var from every host of the play)")
    now = datetime.datetime.now(datetime.timezone.utc)
    result, error = RF.outcome(lambda: RF.run_report(params, params["results"], params["plans"] or {}, params["hosts"], {},
                                                     now, module.check_mode),
                               "report", params["dest"], module._diff)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
