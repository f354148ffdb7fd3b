#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_report
short_description: Write a fleet drift report from audit_rules_info results
version_added: 0.1.0
description:
  - Turns the results of M(auditkit.auditd.audit_rules_info) (or of M(auditkit.auditd.audit_rules) in check mode) for
    many hosts into a report directory, on the machine the task runs on (normally the controller, with
    C(delegate_to=localhost) and C(run_once=true)).
  - C(report.json) (every host and control with status, reason, evidence and missing rules; the schema is
    C(schemas/report.schema.json) in the collection), C(summary.md), a self-contained C(report.html),
    C(junit.xml) (one test case per host and control), C(report.csv), and one STIG Viewer 3 checklist
    C(<host>.cklb) per host with STIG controls.
  - Hosts without a result (unreachable, failed) are listed as such in every format, never dropped.
  - Waived controls are reported as C(waived) with their justification instead of as failures.
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
attributes:
  check_mode:
    description: Writes the report in check mode too; a report changes nothing on the managed hosts.
    support: full
  diff_mode:
    description: Not applicable.
    support: none
options:
  dest:
    description: The report directory; created if missing. Existing report files in it are replaced.
    type: path
    required: true
  results:
    description: Host name to its audit_rules_info result (registered variable), for the hosts that were checked.
    type: dict
    required: true
  hosts:
    description: Every host that was targeted; those without a result are reported as unreachable or failed.
    type: list
    elements: str
    default: []
  failures:
    description: Host name to C(msg) (and C(unreachable)) for hosts whose check failed.
    type: dict
    default: {}
  waivers:
    description: Control ID (V-274091, a STIG ID, a catalog ID) to the written justification for accepting its failure.
    type: dict
    default: {}
  formats:
    description: The files to write.
    type: list
    elements: str
    choices: [json, markdown, html, junit, csv, cklb]
    default: [json, markdown, html, junit, csv, cklb]
  title:
    description: Title of the report.
    type: str
    default: auditkit.auditd drift report
  kind:
    description: What produced the results.
    type: str
    choices: [drift_report, remediate_check]
    default: drift_report
seealso:
  - module: auditkit.auditd.audit_rules_info
"""

EXAMPLES = r"""
- name: Write the fleet report on the controller
  auditkit.auditd.audit_report:
    dest: "./auditkit-reports/{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}"
    results: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'auditkit_info'))) }}"
    hosts: "{{ ansible_play_hosts_all }}"
    waivers:
      V-274092: create_module does not exist since Linux 2.6; accepted by the ISSO on 2026-11-01
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
report_dir:
  description: The report directory.
  returned: always
  type: str
files:
  description: Paths of the files written.
  returned: always
  type: list
  elements: str
summary:
  description: Counts of hosts (C(hosts), C(checked), C(unreachable), C(compliant_hosts)) and of host-control verdicts
    per status (C(controls)).
  returned: always
  type: dict
drift:
  description: True when a control fails or a host could not be checked.
  returned: always
  type: bool
"""

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report as R
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html

RENDERERS = (("json", "report.json", lambda report: json.dumps(report, indent=2, sort_keys=True) + "\n"),
             ("markdown", "summary.md", R.render_markdown), ("html", "report.html", render_html),
             ("junit", "junit.xml", R.render_junit), ("csv", "report.csv", R.render_csv))


def _safe_name(host):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in host) or "host"


def write_report(dest, report, formats):
    """Write the chosen formats into dest; returns the paths written."""
    if not os.path.isdir(dest):
        os.makedirs(dest)
    written = []
    for name, filename, render in RENDERERS:
        if name in formats:
            written.append(_write(os.path.join(dest, filename), render(report)))
    if "cklb" in formats:
        for host in report["hosts"]:
            text = R.render_cklb(report, host)
            if text is not None:
                written.append(_write(os.path.join(dest, _safe_name(host["name"]) + ".cklb"), text))
    return written


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    return path


def main():
    module = AnsibleModule(argument_spec=dict(
        dest=dict(type="path", required=True),
        results=dict(type="dict", required=True),
        hosts=dict(type="list", elements="str", default=[]),
        failures=dict(type="dict", default={}),
        waivers=dict(type="dict", default={}),
        formats=dict(type="list", elements="str", default=["json", "markdown", "html", "junit", "csv", "cklb"],
                     choices=["json", "markdown", "html", "junit", "csv", "cklb"]),
        title=dict(type="str", default="auditkit.auditd drift report"),
        kind=dict(type="str", choices=["drift_report", "remediate_check"], default="drift_report"),
    ), supports_check_mode=True)
    params = module.params
    bad = [host for host, result in params["results"].items() if result is not None and not isinstance(result, dict)]
    if bad:
        module.fail_json(msg="results: the values for %s are not audit_rules_info results" % ", ".join(sorted(bad)))
    bad = [host for host, failure in params["failures"].items() if not isinstance(failure, dict)]
    if bad:
        module.fail_json(msg="failures: the values for %s must be dicts with msg (and unreachable)"
                         % ", ".join(sorted(bad)))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = R.build_report(params["results"], params["hosts"], params["failures"], params["waivers"],
                            params["title"], stamp, params["kind"])
    try:
        files = write_report(params["dest"], report, params["formats"])
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot write the report to %s: %s" % (params["dest"], exc))
    module.exit_json(changed=False, report_dir=params["dest"], files=files, summary=report["summary"],
                     drift=R.failed(report))


if __name__ == "__main__":
    main()
