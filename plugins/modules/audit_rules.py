#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_rules
short_description: Idempotently add or remove audit rules, by meaning, in a rules file
version_added: 0.1.0
description:
  - V(present) writes only the required rules (or the syscalls of them) that no rule in O(rules_dir) covers yet,
    whatever file covers them and however it is spelled, as stable lines in O(dest). Running it twice changes nothing
    the second time.
  - V(absent) removes the lines equivalent to the given rules from O(dest) (or, with O(remove_everywhere), from every
    C(*.rules) file of O(rules_dir)).
  - Every line the module does not own keeps its bytes. Writes are atomic (a temporary file in the same directory,
    then a rename), keep the owner and SELinux context of an existing file, and hold a lock on O(rules_dir) so
    concurrent runs cannot lose each other's rules.
  - Check mode computes the same plan with the same code and writes nothing. The module does not load the rules;
    notify a handler running M(auditkit.auditd.audit_rules_load) when RV(reload_required) is true.
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
  - auditkit.auditd.rules
  - auditkit.auditd.matching
  - auditkit.auditd.profile
  - ansible.builtin.files
attributes:
  check_mode:
    description: Fully supported; the same planning code runs and nothing is written.
    support: full
  diff_mode:
    description: One before/after diff per touched file.
    support: full
options:
  rules:
    description:
      - Rules in rules-file syntax, one per item (C(-a), C(-A) or C(-w) forms), in addition to the rules of
        O(profile). One of O(rules) and O(profile) is required.
      - Rules from a profile are written under a comment naming their controls.
      - Each must parse, be a single line and resolve its syscalls for O(arch); a syscall that exists only on other
        architectures is skipped there (reported in RV(requirements)). Anything else is refused before any file is
        touched, naming the rule and the reason.
    type: list
    elements: str
    default: []
  state:
    description: Whether the rules must be covered (V(present)) or removed (V(absent)).
    type: str
    choices: [present, absent]
    default: present
  dest:
    description:
      - The C(*.rules) file to edit, directly inside O(rules_dir). A symlink is followed only to a file inside
        O(rules_dir).
      - Defaults to C(audit.rules) in O(rules_dir), the file the STIG fix texts name; a dedicated file such as
        C(50-kernel-modules.rules) is a good alternative. With O(loader=auditctl) it defaults to O(compiled_file).
    type: path
  remove_everywhere:
    description: With O(state=absent), remove equivalent rules from every C(*.rules) file in O(rules_dir).
    type: bool
    default: false
  remove_suppressing:
    description:
      - With O(state=present), also remove the C(never) rules (C(-a task,never), an earlier C(-a never,exit)) that
        suppress a required rule, from whichever file of O(rules_dir) holds them, so the requirement can pass.
        Removed lines are listed in RV(removed).
    type: bool
    default: false
  allow_never:
    description: Accept C(never) rules, which suppress auditing. Refused by default.
    type: bool
    default: false
  allow_control_lines:
    description:
      - Accept setting lines (C(-b), C(-f), C(-e), C(-D), ...) in O(rules). Refused by default.
      - A setting the chosen O(profile) requires (C(-c) of CIS RHEL 10 6.3.3.35) is always accepted.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of each file before changing it (next to it, not a C(*.rules) name, mode 0600).
    type: bool
    default: false
  mode:
    description:
      - Permissions of O(dest). The STIGs require 0640 or stricter for audit rules files.
    type: raw
    default: '0600'
notes:
  - Rules covered only by lines that C(auditctl) would never load (after a rejected line) or that a C(never) rule
    suppresses are not written again; RV(requirements) reports them as failing with the reason (see
    O(remove_suppressing)).
seealso:
  - module: auditkit.auditd.audit_rules_info
  - module: auditkit.auditd.audit_rules_load
"""

EXAMPLES = r"""
- name: Audit kernel module loading (written only where not yet covered)
  auditkit.auditd.audit_rules:
    dest: /etc/audit/rules.d/50-kernel-modules.rules
    rules:
      - -a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng
      - -a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng
  become: true
  notify: Load audit rules

- name: Apply the Amazon Linux 2023 STIG kernel-module controls, with advisory b32 twins
  auditkit.auditd.audit_rules:
    profile: stig_al2023
    dest: /etc/audit/rules.d/50-kernel-modules.rules
  become: true
  notify: Load audit rules

- name: Remove an obsolete watch wherever it is written
  auditkit.auditd.audit_rules:
    state: absent
    remove_everywhere: true
    rules:
      - -w /sbin/insmod -p x -k modules
  become: true
"""

RETURN = r"""
changed:
  description: Whether a file changed (or would change, in check mode), including its mode or owner.
  returned: always
  type: bool
added:
  description: Lines written, each with C(rule), C(file), C(line), C(controls) and the C(requirement) it serves.
  returned: always
  type: list
  elements: dict
removed:
  description: Lines removed, each with C(rule), C(file), C(line) (and C(reason) for suppressing rules).
  returned: always
  type: list
  elements: dict
dest:
  description: The file edited.
  returned: always
  type: str
backup_file:
  description: The backup of O(dest) when O(backup) was set and the file changed.
  returned: when O(dest) was backed up
  type: str
backup_files:
  description: Every file changed and its backup (O(dest), and other files with O(remove_everywhere) or
    O(remove_suppressing)).
  returned: when a backup was made
  type: dict
reload_required:
  description: The rules changed and must be loaded (augenrules --load) to take effect.
  returned: always
  type: bool
requirements:
  description:
    - The verdict of each rule on disk now (see M(auditkit.auditd.audit_rules_info)) - in check mode the files as they
      are (nothing was written, evidence cites only existing lines), otherwise the files after the write.
    - Check mode used to return the planned state here; it is in RV(planned) now.
  returned: always
  type: list
  elements: dict
controls:
  description: The verdict of each control of O(profile) on disk now (check mode - before the change; otherwise after
    it), see RV(requirements).
  returned: always
  type: list
  elements: dict
before:
  description:
    - The verdicts judged on disk before anything was written - C(controls) and C(compliant) (the shapes of the
      top-level keys); the before of a remediation record (the report of a real C(remediate) run).
  returned: always
  type: dict
planned:
  description:
    - The state the change leads to, judged on disk - C(requirements), C(controls), C(findings) and C(compliant) (the
      same shapes as the top-level keys). Outside check mode it equals the current state.
    - The kernel is not read; the rules take effect once loaded (M(auditkit.auditd.audit_rules_load)).
  returned: always
  type: dict
profile:
  description: The profile used and how it was chosen; null without O(profile).
  returned: always
  type: dict
findings:
  description: Findings on disk now (check mode - before the change; otherwise after it), see RV(requirements).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after text of each touched file, in diff mode.
  returned: when diff mode is on and a file changes
  type: list
  elements: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_plan as PL


def _file_text(snapshot, path):
    for rules_file in snapshot.files:
        if rules_file.path == path:
            if not rules_file.readable:
                raise H.HostError("%s: %s" % (path, rules_file.problem))
            return rules_file.text
    return H.read_rules_file(path).text if os.path.exists(path) else None


def _refuse_unloadable(module, snapshot, requirements):
    """Refuse a rule this host's kernel would reject: written, it would stop every later load."""
    for index, requirement in enumerate(requirements):
        if requirement.effective is not None:
            problem = snapshot.host_problem(requirement.effective)
            if problem:
                module.fail_json(msg="rules[%d] %r: %s; nothing written" % (index, requirement.text, problem))


def _plan(module, snapshot, requirements, dest):
    params = module.params
    policy = M.match_policy(params)
    if params["state"] == "present":
        first = PL.Plan()
        if params["remove_suppressing"]:
            first = PL.plan_remove_suppressors(requirements, snapshot, policy)
            snapshot = PL.apply_plan(snapshot, first)
        second = PL.plan_present(requirements, snapshot, dest, _file_text(snapshot, dest), policy)
        return PL.then(first, second)
    paths = [f.path for f in snapshot.files] if params["remove_everywhere"] else [dest]
    return PL.plan_absent(requirements, snapshot, paths, policy)


def _apply(module, plan, targets):
    """Write the planned files (not in check mode) to their ``targets`` (a symlink's file);
    returns {path: its backup}. Each write registers its undo first: should the task still
    fail, the file (and a link to it) is back as it was."""
    backups = {}
    for path, text in sorted(plan.texts.items()):
        if module.check_mode:
            continue
        module.undo_on_failure(H.undo_step(module, path))
        if module.params["backup"] and os.path.exists(path):
            backups[path] = H.backup(module, targets[path])
            module.undo_on_failure(H.undo_step(module, backups[path], existed=False))
        H.write_atomic(module, targets[path], text, new_mode=0o600)
    return backups


def _set_attributes(module, dest, changed):
    """mode/owner/group/... of dest; undone too if they fail part-way."""
    if not os.path.exists(dest):
        return changed
    if not module.check_mode:
        module.undo_on_failure(H.undo_step(module, dest))
    file_args = module.load_file_common_arguments(module.params, path=dest)
    return module.set_fs_attributes_if_different(file_args, changed)


def _diff(snapshot, plan):
    diffs = []
    for path, text in sorted(plan.texts.items()):
        before = ""
        for rules_file in snapshot.files:
            if rules_file.path == path:
                before = rules_file.text
        diffs.append({"before": before, "after": text, "before_header": path, "after_header": path})
    return diffs


def run(module):
    params = module.params
    machine = M.target_machine(module)
    selection = M.requirements(module, machine, params["allow_never"], params["allow_control_lines"])
    requirements = selection.requirements
    target = H.rules_target(params, with_dest=True)
    dest, directory = target.dest, target.directory
    M.check_rules_dir(module, directory)
    with H.locked(directory):
        if not module.check_mode:
            H.remove_stale_temps(directory)
        snapshot = H.snapshot(module, machine, os.path.realpath(params["rules_dir"]),
                              os.path.realpath(params["compiled_file"]), target.loader, read_kernel=False)
        M.bind_to_host(selection, snapshot)
        if params["state"] == "present":
            _refuse_unloadable(module, snapshot, requirements)
        plan = _plan(module, snapshot, requirements, dest)
        # The whole result first: nothing is written unless it can be returned.
        policy = M.match_policy(params)
        after = M.with_controls(E.evaluate(PL.apply_plan(snapshot, plan), requirements, policy), selection)
        # current: the files as they are when the module returns; in check mode never the plan
        unchanged = not plan.changed and not module.check_mode  # then the files before are the files after
        before = after if unchanged else M.with_controls(E.evaluate(snapshot, requirements, policy), selection)
        current = before if module.check_mode else after
        result = dict(changed=plan.changed, added=plan.added, removed=plan.removed, dest=dest,
                      reload_required=plan.changed, requirements=current["requirements"],
                      findings=current["findings"], controls=current["controls"], profile=after["profile"],
                      planned=dict((k, after[k]) for k in ("requirements", "controls", "findings", "compliant")),
                      before=dict((k, before[k]) for k in ("controls", "compliant")))
        if module._diff and plan.changed:
            result["diff"] = _diff(snapshot, plan)
        M.check_result(result)
        targets = H.write_targets(plan.texts, directory)  # refuses a link out of the directory, check mode too
        backups = _apply(module, plan, targets)
        result["changed"] = _set_attributes(module, dest, plan.changed)
    if backups:
        result["backup_files"] = backups
        if dest in backups:
            result["backup_file"] = backups[dest]
    module.exit_json(**result)


def main():
    spec = M.argument_spec(
        rules=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        dest=dict(type="path"),
        remove_everywhere=dict(type="bool", default=False),
        allow_never=dict(type="bool", default=False),
        remove_suppressing=dict(type="bool", default=False),
        allow_control_lines=dict(type="bool", default=False),
        backup=dict(type="bool", default=False),
        mode=dict(type="raw", default="0600"),
    )
    module = M.guard(AnsibleModule(argument_spec=spec, supports_check_mode=True, add_file_common_args=True))
    if not module.params["rules"] and not module.params["profile"]:
        module.fail_json(msg="one of rules and profile is required")
    try:
        run(module)
    except H.HostError as exc:
        module.fail_json(msg=str(exc))
    except Exception:  # pylint: disable=broad-except  # a bug: undo what was written, then report it
        M.fail_unexpected(module)


if __name__ == "__main__":
    main()
