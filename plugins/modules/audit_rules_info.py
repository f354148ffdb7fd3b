#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_rules_info
short_description: Judge audit rules on disk and in the kernel against required rules
version_added: 0.1.0
description:
  - Reads the C(*.rules) files of O(rules_dir) in augenrules order (or the compiled file alone when the host loads it
    directly), the compiled file, and the kernel's rules and status (C(auditctl -l), C(auditctl -s)).
  - Gives one verdict per required rule with evidence on disk and in the kernel, and findings with file and line
    (rejected lines, where C(auditctl -R) stops, duplicates, C(never) rules that suppress, commented-out rules,
    watches on symlinks, drift between the rules directory, the compiled file and the kernel, C(-e 2)).
  - Rules are compared by meaning, not by text. Equivalent spellings count, several rules can together cover one
    required rule, and the first matching rule in load order decides, as in the kernel.
  - Read-only. One call answers every requirement.
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
  - auditkit.auditd.rules
  - auditkit.auditd.matching
  - auditkit.auditd.profile
attributes:
  check_mode:
    description: Fully supported; the module never changes anything.
    support: full
  diff_mode:
    description: Not applicable; the module never changes anything.
    support: none
options:
  rules:
    description:
      - Required rules, one rule per item, in rules-file syntax (C(-a), C(-A) or C(-w) forms), in addition to the
        rules of O(profile).
      - Setting lines such as C(-b 8192) are judged against the setting in effect (the last one wins).
      - A syscall that exists on another architecture but not on O(arch) makes the rule (or that part of it)
        C(not_applicable). Unknown syscalls, several lines in one item and C(never) rules are refused.
    type: list
    elements: str
    default: []
  loaded:
    description:
      - Also read the kernel (C(auditctl -s) and C(auditctl -l)); then a requirement passes only if it is covered
        on disk and in the kernel.
      - When the kernel cannot be read (not root, a container, no audit support) the reason is returned and the
        verdicts rest on the files alone.
    type: bool
    default: true
  detail:
    description:
      - V(full) returns everything below. V(report) returns what the fleet report reads and bounds the result that
        travels back to the controller (about half the size) - RV(controls) without the catalog fields (title,
        severity, benchmark, IDs, rules; the controller's report has them), RV(requirements) without canonical forms,
        suppressing rules and notes (their verdict, reason, evidence and missing lines stay), RV(findings) capped
        at 100 (RV(findings_left_out) counts the rest), and no C(files), C(settings), C(kernel) or C(mode_evidence).
      - The playbook C(drift_report) uses V(report); set C(auditkit_detail=full) to get every field.
    type: str
    choices: [full, report]
    default: full
notes:
  - Reading the kernel needs root (C(become=true)).
seealso:
  - module: auditkit.auditd.audit_rules
  - module: auditkit.auditd.audit_rules_load
"""

EXAMPLES = r"""
- name: Judge the STIG kernel-module rules on disk and in the kernel
  auditkit.auditd.audit_rules_info:
    rules:
      - -a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng
      - -a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng
      - -a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules
  become: true
  register: audit

- name: Fail when a requirement fails, naming each failing rule and why
  ansible.builtin.assert:
    that: audit.compliant
    fail_msg: "{{ _failing | map(attribute='rule') | zip(_failing | map(attribute='reason')) | map('join', ': ') | list }}"
  vars:
    _failing: "{{ audit.requirements | selectattr('status', 'eq', 'fail') | list }}"

- name: Judge the host against its distribution's STIG, control by control
  auditkit.auditd.audit_rules_info:
    profile: auto
  become: true
  register: stig

- name: Show each control's verdict
  ansible.builtin.debug:
    msg: "{{ stig.controls | map(attribute='id') | zip(stig.controls | map(attribute='status')) | list }}"

- name: Judge an image's rules tree for Graviton without touching the kernel
  auditkit.auditd.audit_rules_info:
    rules_dir: /mnt/image/etc/audit/rules.d
    compiled_file: /mnt/image/etc/audit/audit.rules
    arch: aarch64
    loaded: false
    rules:
      - -a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change
"""

RETURN = r"""
findings_left_out:
  description:
    - The number of findings left out - beyond the first 100 with O(detail=report), beyond the first 1000 otherwise.
    - Each requirement's C(on_disk) and C(in_kernel) view keeps at most 100 C(evidence) lines, with
      C(evidence_left_out) beside them when there were more.
  returned: when findings were left out, and always with O(detail=report)
  type: int
detail:
  description: V(report) when the result was bounded with O(detail=report).
  returned: with O(detail=report)
  type: str
profile:
  description:
    - The profile used (C(name), C(title)) and how it was chosen (C(picked_by)); null without O(profile).
    - C(uid_min) and C(uid_min_source) are the host's UID_MIN and where it came from (O(uid_min), C(/etc/login.defs),
      the default); C(uid_min_used) whether a control of the profile takes it (CIS).
  returned: always
  type: dict
  sample: {"name": "stig_al2023", "title": "DISA STIG for Amazon Linux 2023", "picked_by": "auto: /etc/os-release ID=amzn VERSION_ID=2023"}
controls:
  description:
    - One verdict per control of O(profile) (empty without one) with its IDs (C(id), C(vuln_id), C(rule_id),
      C(stig_id), C(recommendation), C(ccis)), C(title), C(severity), C(status) (pass, fail, not_applicable),
      C(reason), the required C(rules), C(advisory) rules with their own status (never failing the control)
      and C(notes).
  returned: always
  type: list
  elements: dict
compliant:
  description: True when no requirement fails (advisory rules aside).
  returned: always
  type: bool
reboot_required:
  description:
    - True when the kernel's rules are locked (C(enabled 2)) and lack required rules that the files, which are right,
      have; only a reboot loads them (a C(reboot_required) finding says so). The role reboots such hosts only with
      C(auditkit_reboot_ok).
  returned: always
  type: bool
summary:
  description: Counts of requirement verdicts (C(pass), C(fail), C(not_applicable), C(total), C(advisory_fail)), of
    control verdicts (C(controls)) and of findings per severity.
  returned: always
  type: dict
  sample: {"pass": 2, "fail": 1, "not_applicable": 0, "total": 3, "findings": {"error": 1, "warning": 0, "info": 2}}
requirements:
  description:
    - One entry per required rule, in the order given.
    - C(status) is V(pass), V(fail) or V(not_applicable); C(reason) says why.
    - C(on_disk) and C(in_kernel) (null when the kernel was not read) hold C(status) (covered, partial, missing or
      suppressed), C(evidence) (file, line, text and the syscalls each rule covers), C(suppressed_by) and
      C(missing_syscalls).
    - C(missing) is the line that would add what no rule on disk covers; C(effective) the required rule as it
      applies to O(arch); C(commented_out) commented lines that would cover it; C(warnings) and C(notes) remarks.
  returned: always
  type: list
  elements: dict
findings:
  description:
    - Problems found, each with C(kind), C(severity) (error, warning, info), C(message), C(file), C(line), C(text).
    - Kinds include rejected_line, load_stops (with C(not_loaded)), duplicate, task_never, suppressed,
      symlink_watch, compiled_missing, compiled_stale, persisted_not_loaded, loaded_not_persisted,
      immutable_on_disk, kernel_immutable, kernel_unreadable, kernel_rule_unparsed, no_delete_all, ignored_file,
      unreadable_file, invalid_utf8.
  returned: always
  type: list
  elements: dict
files:
  description: The files judged, in load order, with their non-blank lines (C(line), C(kind), C(text), C(error)).
  returned: always
  type: list
  elements: dict
ignored_files:
  description: Files in O(rules_dir) that augenrules does not read, with the reason.
  returned: always
  type: list
  elements: dict
settings:
  description: Settings in effect after loading the files (C(-b), C(-f), C(-e), C(--backlog_wait_time), ...); the last
    one wins, as augenrules compiles them. Each has C(value), C(file), C(line).
  returned: always
  type: dict
  sample: {"-b": {"value": 8192, "file": "/etc/audit/rules.d/audit.rules", "line": 5}}
kernel:
  description: C(read) (bool), C(reason) when not read, C(enabled) (0, 1, 2), C(immutable), C(status) (all of
    C(auditctl -s)) and C(rules) (C(auditctl -l) lines).
  returned: always
  type: dict
mode:
  description: How the host loads its rules, V(augenrules) or V(auditctl).
  returned: always
  type: str
mode_evidence:
  description: What the loader detection was based on.
  returned: always
  type: str
machine:
  description: The machine the rules were judged for.
  returned: always
  type: str
  sample: x86_64
rules_dir:
  description: The rules directory read.
  returned: always
  type: str
compiled_file:
  description: The compiled rules file read.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_result_detail as D


def main():
    spec = M.argument_spec(rules=dict(type="list", elements="str", default=[]),
                           loaded=dict(type="bool", default=True),
                           detail=dict(type="str", choices=["full", "report"], default="full"))
    module = M.guard(AnsibleModule(argument_spec=spec, supports_check_mode=True))
    machine = M.target_machine(module)
    selection = M.requirements(module, machine, allow_control=True)
    params = module.params
    try:
        snapshot = H.snapshot(module, machine, params["rules_dir"], params["compiled_file"], params["loader"],
                              read_kernel=params["loaded"])
    except H.HostError as exc:
        module.fail_json(msg=str(exc))
    M.bind_to_host(selection, snapshot)
    result = E.evaluate(snapshot, selection.requirements, M.match_policy(params))
    result = M.with_controls(result, selection)
    module.exit_json(changed=False, **D.bounded(D.for_report(result) if params["detail"] == "report" else result))


if __name__ == "__main__":
    main()
