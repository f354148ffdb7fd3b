#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_report_merge
short_description: Merge the partial reports of a sliced job into one report set on the controller
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin of the same name). Each slice of an AWX sliced job writes the report of
    its own hosts with M(auditkit.auditd.audit_report) and publishes its C(report.json) document as the artifact
    C(auditkit_report_slice_<job id>); this module combines the slices into one report set, written with the same
    renderers (C(report.json), C(summary.md), C(report.html), C(junit.xml), C(report.csv), C(<host>.cklb)).
  - Verdicts are taken from the slices as they are, so the merged report equals the report of an unsliced run. A host
    in two slices fails the task. Every host of O(hosts) that no slice reported gets the status V(error), with the
    slices that did not report named in its message; the report's C(slices) list says which slices reported, which
    failed and how many never reported.
  - Slices come from O(slices), from O(paths) (a C(report.json), or a directory holding one, per slice) and from
    every variable whose name starts with O(slice_var_prefix) (the artifacts AWX passes to the next workflow node).
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
  - auditkit.auditd.report_files
attributes:
  check_mode:
    description: In check mode nothing is written and C(changed) says whether a file would change.
    support: full
  diff_mode:
    description: One before/after entry per file that changes (state, mode, SHA-1 of the content).
    support: full
options:
  dest:
    description: The report directory, created (mode 0750) if missing. Default C(./auditkit-reports/<UTC timestamp>).
    type: path
  slices:
    description: Slices given directly, each with C(name), C(report) (a report document, or null) and C(error) (why
      there is no report).
    type: list
    elements: dict
  paths:
    description: One entry per slice, a C(report.json) or a directory below which exactly one C(report.json) lies (for
      example a slice's private data directory). A directory without one is a failed slice.
    type: list
    elements: path
  slice_var_prefix:
    description: Variables whose names start with this prefix are slices published as artifacts, each a dictionary
      with C(slice) (its name) and C(report) (the document), or C(error).
    type: str
    default: auditkit_report_slice_
  hosts:
    description: Every host the sliced job targeted, sorted by name as AWX slices them. Hosts that no slice reported
      are listed as V(error). Default - the hosts the slices reported.
    type: list
    elements: str
  slice_count:
    description: How many slices the job had (the job template's C(job_slice_count)); slices that never reported are
      listed as missing, by number when O(hosts) tells which hosts each slice had.
    type: int
  title:
    description: Title of the report. Default names the kind of the slices' reports.
    type: str
  baseline:
    description:
      - A previous report to compare the merged one with, as O(auditkit.auditd.audit_report#module:baseline) does - a
        C(report.json), a run's report directory or a directory of runs (its C(latest) run, else its newest).
      - With one report in O(paths) this compares two reports offline (the playbook C(auditkit.auditd.compare_reports));
        a merged report of a sliced job works as a baseline too. A report document (a dict) works too.
    type: raw
  return_baseline:
    description: Also return RV(baseline_document) (the merged report's verdicts, to publish as a job artifact).
    type: bool
    default: false
seealso:
  - module: auditkit.auditd.audit_report
"""

EXAMPLES = r"""
- name: Merge the slices' reports passed on by the sliced drift report job
  auditkit.auditd.audit_report_merge:
    dest: ./auditkit-reports/merged
    hosts: "{{ groups['all'] | sort }}"
    slice_count: 4
  run_once: true
  delegate_to: localhost

- name: Merge report.json files collected from the slices' private data directories
  auditkit.auditd.audit_report_merge:
    paths: [/runner/slice1, /runner/slice2]
    dest: ./merged
  delegate_to: localhost
"""

RETURN = r"""
report_dir:
  description: The report directory.
  returned: always
  type: str
files:
  description: Paths of the report files.
  returned: always
  type: list
  elements: str
summary:
  description: The merged report's summary, as in M(auditkit.auditd.audit_report).
  returned: always
  type: dict
drift:
  description: True when a host has a failing control, an error or is unreachable (hosts of failed slices are errors).
  returned: always
  type: bool
headline:
  description: Host counts per status and the slices without a report.
  returned: always
  type: str
slices:
  description: Per slice C(name), C(status) (V(reported), V(failed), V(missing)), C(hosts) (count) and C(error).
  returned: always
  type: list
  elements: dict
artifacts:
  description: The bounded per-host artifacts of M(auditkit.auditd.audit_report) for the whole fleet, with C(slices).
  returned: always
  type: dict
regressions:
  description: How many host-control pairs regressed since O(baseline); 0 without a baseline.
  returned: always
  type: int
regressed:
  description: The first 50 regressed pairs, each C(<host> <control ID>).
  returned: always
  type: list
  elements: str
transitions:
  description: Host-control pairs per transition since O(baseline); null without a baseline.
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
baseline_document:
  description: The merged report's verdicts as O(auditkit.auditd.audit_report#module:return_baseline) returns them;
    null unless O(return_baseline=true).
  returned: always
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
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_merge_run as RMR


def main():
    module = AnsibleModule(argument_spec=RMR.OPTIONS, supports_check_mode=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    result, error = RF.outcome(lambda: RMR.run_merge(module.params, {}, now, module.check_mode),
                               "merged report", module.params["dest"], module._diff)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
