#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_rules_probe
short_description: Prove by events that the kernel records each required module-loading action
version_added: 0.2.0
description:
  - Fires each action a required rule audits, harmlessly, and reads the kernel's audit records for it from the
    netlink multicast group C(AUDIT_NLGRP_READLOG) (no auditd needed, no log file read).
  - Syscalls are called with arguments that cannot load or unload anything - C(finit_module) on file descriptor
    -1 (EBADF), C(init_module) with a NULL image of length 0, C(delete_module) of the random name
    C(auditkit_probe_<random>) with C(O_NONBLOCK) (ENOENT), C(create_module) and C(query_module) (ENOSYS) - through
    the ABI the rule names; on x86_64, C(arch=b32) calls go through the 32-bit entry point.
  - Programs (C(kmod), C(insmod), C(rmmod), C(modprobe), which are all C(kmod)) run with C(--version). A kernel
    without module support refuses every call and still records it.
  - Per required rule the result is V(recorded) (with the record's key, serial and the kernel rules carrying that
    key), V(not_recorded), V(inconclusive) with the reason, or V(not_applicable).
  - A rule filtering on the login uid (C(auid>=1000 -F auid!=unset), as every STIG rule does) never records a
    session whose login uid is 0 or unset. When this session's login uid is outside the filter, the actions are
    fired from a child that sets its own login uid to O(test_loginuid) (allowed when the login uid is unset, or
    set but not immutable and the module has C(CAP_AUDIT_CONTROL)); the result says which login uid was used.
  - Changes no rule, setting or file. It does add audit records (about four per action, in the audit log and,
    without auditd, in the kernel log), so it is opt-in in the role (C(auditkit_probe)).
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
  - auditkit.auditd.profile
attributes:
  check_mode:
    description: Fully supported; the module changes no configuration, and fires its actions in check mode too
      (their records are its measurement). The role skips it in check mode.
    support: full
  diff_mode:
    description: Not applicable; the module never changes anything.
    support: none
options:
  rules:
    description:
      - Required rules, one rule per item, in rules-file syntax, in addition to the rules of O(profile).
      - Only C(always,exit) rules on module syscalls, or on executions (C(perm=x), C(-p x)) of C(kmod) and its links,
        can be fired; other rules are V(inconclusive) with the reason.
    type: list
    elements: str
    default: []
  test_loginuid:
    description:
      - The login uid a forked child sets before firing, when this session's login uid is outside a rule's C(auid)
        filters. Must be inside them (the STIG filters need 1000 or more and not unset).
    type: int
    default: 1000
  change_loginuid:
    description:
      - Whether the probe may fire from a child with O(test_loginuid). When false, rules whose C(auid) filters
        exclude this session are V(inconclusive).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the records. The probe stops as soon as its own marker record has arrived (records are
        delivered in order), so this only bounds a wait on a host that delivers nothing.
    type: float
    default: 5.0
notes:
  - Needs root (C(become=true)) for C(CAP_AUDIT_READ), auditing enabled in the kernel (C(auditctl -s) says
    C(enabled 1) or C(enabled 2)) and the host's network namespace (the kernel multicasts records only there, so
    the probe cannot run inside a container).
  - The probe's calls fail by design, so a rule narrowed with C(-F success=0) or C(-F exit=...) may record them
    while missing a real module load; M(auditkit.auditd.audit_rules_info) judges such filters.
  - When the kernel drops records (backlog full, C(lost) grows) a missing record is V(inconclusive), not
    V(not_recorded).
seealso:
  - module: auditkit.auditd.audit_rules_info
  - module: auditkit.auditd.audit_rules_load
"""

EXAMPLES = r"""
- name: Fire each STIG action and read the kernel's records
  auditkit.auditd.audit_rules_probe:
    profile: auto
  become: true
  register: probe

- name: Fail unless the kernel recorded every required action
  ansible.builtin.assert:
    that: probe.all_recorded
    fail_msg: "{{ probe.probe | rejectattr('status', 'eq', 'recorded') | map(attribute='reason') | list }}"

- name: Probe two rules without changing the login uid
  auditkit.auditd.audit_rules_probe:
    rules:
      - -a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng
      - -a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules
    change_loginuid: false
  become: true
"""

RETURN = r"""
probe:
  description:
    - One entry per required rule (the rules of O(profile), then those of O(rules), in order).
    - C(requirement) (the rule text), C(controls) (the control IDs), C(catalog_controls), C(advisory), C(status)
      (V(recorded), V(not_recorded), V(inconclusive), V(not_applicable)), C(reason), C(notes) (which login uid
      was used, symlinks), C(events) (each action fired, its C(loginuid) (null for this session's), C(status) and
      C(record)) and C(records) (the SYSCALL records found, with C(serial), C(timestamp), C(arch), C(syscall),
      C(success), C(exit), C(pid), C(auid), C(comm), C(exe), C(keys) and C(rules), the kernel rules carrying the
      record's key).
  returned: always
  type: list
  elements: dict
  sample:
    - requirement: -a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng
      controls: [V-258189, RHEL-09-654075]
      catalog_controls: ["stig:rhel9:V-258189"]
      advisory: false
      status: recorded
      reason: "every event recorded (keys: module_chng)"
      notes: ["fired from a child that set its login uid to 1000 (this session's is unset)"]
      events:
        - action: delete_module (b64, x86_64)
          loginuid: 1000
          status: recorded
          record: {serial: 1517, syscall: 176, arch: x86_64, exit: -38, auid: 1000, keys: [module_chng]}
      records: [{serial: 1517, syscall: 176, arch: x86_64, exit: -38, auid: 1000, keys: [module_chng]}]
controls:
  description: One entry per control of O(profile) (C(id), C(catalog_id), C(status), C(reason)); the worst status
    of its non-advisory rules (not_recorded, inconclusive, recorded); empty without a profile. Controls of other
    profiles named in O(controls) follow as V(not_applicable), with the reason.
  returned: always
  type: list
  elements: dict
all_recorded:
  description: True when every applicable, non-advisory required rule is V(recorded).
  returned: always
  type: bool
summary:
  description: Counts of C(recorded), C(not_recorded), C(inconclusive), C(not_applicable) and C(total).
  returned: always
  type: dict
  sample: {"recorded": 5, "not_recorded": 0, "inconclusive": 0, "not_applicable": 0, "total": 5}
auditing:
  description:
    - What the probe found and did - C(enabled) (the kernel's C(enabled) value), C(ran) (false when nothing could be
      fired, with C(reason)), C(loginuid) (this session's, null when unset), C(loginuid_immutable),
      C(fired) (actions), C(children), C(records_read), C(marker_seen), C(lost_before), C(lost_after),
      C(socket_overflow).
  returned: always
  type: dict
profile:
  description: The profile used (C(name), C(title), C(picked_by)); null without O(profile).
  returned: always
  type: dict
machine:
  description: The machine probed (C(uname -m)).
  returned: always
  type: str
  sample: x86_64
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_boot as B
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_probe as PR
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS

SEVERITY = {"not_recorded": 0, "inconclusive": 1, "recorded": 2, "not_applicable": 3}


def _kernel(module):
    """(status dict, kernel rule lines, reason the probe cannot run or None)."""
    state = H.kernel_state(module)
    if state.reason and not state.status:
        return {}, [], state.reason
    enabled = state.status.get("enabled")
    if enabled not in (1, 2):
        return state.status, [], ("auditing is disabled in the kernel (auditctl -s: enabled %s): it records "
                                  "nothing, so nothing was fired; %s" % (enabled, _how_to_enable()))
    rules = [line for line in (state.listing or "").splitlines() if line and line != "No rules"]
    return state.status, rules, None


def _how_to_enable():
    """What turns auditing on here: a reboot without audit=0 when the kernel booted with it."""
    cmdline = H.running_cmdline()
    if cmdline is not None and B.disabled_at_boot(cmdline):
        return ("the kernel booted with auditing off (kernel_cmdline: audit=0 on %s): remove audit=0 from the boot "
                "loader's command line (and add audit=1) and reboot; processes started since boot are never audited"
                % H.PROC_CMDLINE)
    return "enable it (auditctl -e 1, or -e 1 in the rules)"


def _raising_run_command(module):
    """module.run_command for the probe's child: an OS error is raised, never reported with
    fail_json (which would print a second result from the forked child)."""
    def run(argv):
        return module.run_command(argv, handle_exceptions=False)
    return run


def _lost_reader(module, status):
    """Reads of the kernel's lost-record counter before and after firing: the first is the
    ``auditctl -s`` already read (-l is not asked again), the next ones read ``auditctl -s`` alone."""
    first = [status.get("lost")]

    def read():
        return first.pop() if first else H.kernel_status(module).get("lost")
    return read


def _controls(selection, results):
    verdicts = []
    for control in selection.controls:
        mine = [r for r in results if control in r["catalog_controls"] and not r["advisory"]]
        worst = min([r["status"] for r in mine] or ["not_applicable"], key=SEVERITY.get)
        reasons = ["%s: %s" % (r["requirement"], r["reason"]) for r in mine if r["status"] == worst]
        verdicts.append({"id": CONTROLS[control]["id"], "catalog_id": control, "status": worst,
                         "reason": "; ".join(reasons)})
    # controls of other profiles that the controls option named: not_applicable, as audit_rules_info says
    return verdicts + [dict((key, verdict[key]) for key in ("id", "catalog_id", "status", "reason"))
                       for verdict in PF.not_in_profile_verdicts(selection.not_in_profile)]


def main():
    spec = dict((name, dict(value)) for name, value in M.PROFILE_SPEC.items())
    spec.update(rules=dict(type="list", elements="str", default=[]),
                test_loginuid=dict(type="int", default=1000),
                change_loginuid=dict(type="bool", default=True),
                timeout=dict(type="float", default=5.0))
    module = M.guard(AnsibleModule(argument_spec=spec, supports_check_mode=True))
    try:
        probe(module)
    except Exception:  # pylint: disable=broad-except  # a bug: report it as a failure with its traceback
        M.fail_unexpected(module)


def probe(module):
    params = module.params
    if not 0 < params["timeout"] <= 300:
        module.fail_json(msg="timeout must be between 0 and 300 seconds, not %s" % params["timeout"])
    if not 0 <= params["test_loginuid"] < PR.UNSET:
        module.fail_json(msg="test_loginuid must be a uid from 0 to 4294967294, not %s" % params["test_loginuid"])
    try:
        machine = A.normalize_machine(os.uname()[4])
    except ValueError as exc:
        module.fail_json(msg="this machine: %s" % exc)
    selection = M.requirements(module, machine)

    status, kernel_rules, reason = _kernel(module)
    facts = PR.gather_facts(machine, status, params["test_loginuid"], params["change_loginuid"])
    facts.kmod_copies = tuple(t["resolves_to"] for t in H.module_tools() if t["kmod_copy"])
    auditing = {"enabled": status.get("enabled"), "ran": False, "reason": reason,
                "loginuid": None if facts.loginuid == PR.UNSET else facts.loginuid,
                "loginuid_immutable": facts.loginuid_immutable}
    if reason is None:
        try:
            results, info = PR.run(selection.requirements, facts, _raising_run_command(module), kernel_rules,
                                   params["timeout"], _lost_reader(module, status))
            auditing.update(info, ran=True)
        except PR.ProbeUnavailable as exc:
            reason = auditing["reason"] = str(exc)
    if reason is not None:
        results = PR.all_inconclusive(selection.requirements, reason)
    applicable = [r for r in results if not r["advisory"] and r["status"] != "not_applicable"]
    module.exit_json(changed=False, probe=results, controls=_controls(selection, results),
                     summary=PR.summarize(results), auditing=auditing, profile=selection.profile_data(),
                     all_recorded=all(r["status"] == "recorded" for r in applicable), machine=machine)


if __name__ == "__main__":
    main()
