#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: audit_rules_load
short_description: Load persisted audit rules into the kernel and verify the kernel took them
version_added: 0.1.0
description:
  - Validates every line that would be loaded (parse, syscall names for the running machine, lines the kernel refuses
    as duplicates, watches in missing directories, unknown user names) before touching the kernel. Any line C(auditctl)
    would reject fails the task, naming file and line (even after C(-c), which only makes auditctl skip it), and the
    kernel's rules stay as they were. A FIFO named C(*.rules) in O(rules_dir) is refused too (augenrules would wait on
    it); a directory or unreadable file named C(*.rules) is named in a warning (augenrules skips it).
  - Loads with C(augenrules --load) when the host uses augenrules with the default paths; otherwise compiles
    O(rules_dir) exactly as augenrules does into O(compiled_file) and runs C(auditctl -R), or loads
    O(compiled_file) directly with O(loader=auditctl). Never restarts auditd (RHEL's unit refuses manual stops).
  - Afterwards reads C(auditctl -l) and returns the rules the kernel does not show (RV(missing_in_kernel)).
  - An immutable kernel (C(enabled 2)) is not an error; the module returns RV(reboot_required=true) and a warning.
  - Without audit capability (a container, not root, no kernel audit) it returns RV(loaded=false) and the reason,
    and fails only with O(required=true).
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
  - auditkit.auditd.rules
attributes:
  check_mode:
    description: Validates and reports whether loading would change the kernel's rules; loads nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
options:
  required:
    description: Fail when the kernel cannot be loaded at all (no capability, no audit support, not root).
    type: bool
    default: false
  rollback:
    description:
      - When loading fails part-way, or O(verify) fails after the load, put the kernel's previous rules back, then its
        previous settings as C(auditctl -s) showed them before the load (C(-b), C(-f), C(-r), C(--backlog_wait_time),
        C(--loginuid-immutable) where it can, C(-e) last), and the previous compiled file (its exact bytes, mode and owner;
        removed if it did not exist), so that the failed task has changed nothing. The message says what was restored
        and what could not be (a login uid once locked, or C(enabled 2), stays until reboot).
    type: bool
    default: true
  verify:
    description: Fail when, after a successful load, the kernel does not show every persisted rule.
    type: bool
    default: true
  validate:
    description:
      - Check every line before loading and refuse to load when one would fail.
      - Set it to V(false) only as an escape hatch when this check wrongly refuses a line C(auditctl) accepts;
        a load that then fails part-way is rolled back when O(rollback) is set.
    type: bool
    default: true
  planned:
    description:
      - In check mode only (ignored otherwise), predict the load against the files as
        M(auditkit.auditd.audit_rules) in check mode plans them, not as they are; pass its
        RV(auditkit.auditd.audit_rules#module:added) and RV(auditkit.auditd.audit_rules#module:removed) as C(added)
        and C(removed). Then RV(missing_in_kernel) lists the planned rules the kernel does not have yet.
    type: dict
notes:
  - Use it as the handler of M(auditkit.auditd.audit_rules).
seealso:
  - module: auditkit.auditd.audit_rules
  - module: auditkit.auditd.audit_rules_info
"""

EXAMPLES = r"""
- name: Load audit rules
  auditkit.auditd.audit_rules_load:
  become: true

- name: Load and insist that the kernel accepted them (CI on real hosts)
  auditkit.auditd.audit_rules_load:
    required: true
  become: true
  register: load

- name: Tell the operator when only a reboot applies the rules
  ansible.builtin.debug:
    msg: Audit rules are locked (-e 2); reboot to apply them.
  when: load.reboot_required
"""

RETURN = r"""
loaded:
  description: Whether the rules were loaded into the kernel.
  returned: always
  type: bool
reason:
  description: Why nothing was loaded (no capability, immutable kernel, check mode, validation failed, load failed).
  returned: when RV(loaded) is false
  type: str
errors:
  description: Every line C(auditctl) would reject (file, line and reason), when validation refused to load.
  returned: when validation failed
  type: list
  elements: str
changed:
  description: Whether the kernel's rules or settings (C(-b), C(-f), C(-r), C(--backlog_wait_time), C(--loginuid-immutable),
    C(-e)) changed (in check mode, whether its rules would change).
  returned: always
  type: bool
command:
  description: The command run (or that would run).
  returned: always
  type: list
  elements: str
reboot_required:
  description: The kernel's rules are locked (C(-e 2)); only a reboot applies the persisted rules.
  returned: always
  type: bool
missing_in_kernel:
  description: Persisted rules the kernel does not show after loading, with C(file), C(line), C(text).
  returned: always
  type: list
  elements: dict
kernel_rules:
  description: C(auditctl -l) after loading.
  returned: always
  type: list
  elements: str
rolled_back:
  description: Whether the previous rules and settings were all put back after a failed load.
  returned: always
  type: bool
mode:
  description: How the rules were loaded, V(augenrules) or V(auditctl).
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_load as L
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_plan as PL
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R


def _undo_on_failure(module, path):
    """With rollback, a failed task puts ``path`` back as it is now (M.guard)."""
    if module.params["rollback"]:
        module.undo_on_failure(H.undo_step(module, path))


def _compile_if_needed(module, snapshot, command):
    """Our own augenrules for non-default paths: write the compiled file (0640, as augenrules).
    ``augenrules --load`` (the default paths) writes the compiled file and its ``.prev`` copy
    itself: both come back if the task fails. ``loader: auditctl`` writes nothing."""
    if snapshot.mode != "augenrules":
        return
    if command[0] != H.auditctl_path(module):
        _undo_on_failure(module, snapshot.compiled_path)
        _undo_on_failure(module, snapshot.compiled_path + ".prev")
        return
    text = R.compiled_text(snapshot.compile())
    current = snapshot.compiled.text if snapshot.compiled is not None and snapshot.compiled.readable else None
    if text != current:
        _undo_on_failure(module, snapshot.compiled_path)
        H.write_atomic(module, snapshot.compiled_path, text, new_mode=0o640)


def _refuse_a_compiled_file_root_does_not_own(module, snapshot, command):
    """auditctl -R refuses a rules file that root does not own, without a message (augenrules'
    cp keeps the owner of an existing compiled file): say so, with the fix, before the kernel."""
    try:
        owner = os.stat(snapshot.compiled_path).st_uid
    except OSError:
        return
    if owner != 0:
        module.fail_json(msg="not loaded: %s is owned by uid %d, and auditctl -R refuses a rules file that root does "
                             "not own; fix: chown root:root %s" % (snapshot.compiled_path, owner, snapshot.compiled_path),
                         **_result(snapshot, command=command, reason="compiled file not owned by root"))


def _rollback(module, auditctl, before, settings_before):
    """Put the kernel's previous rules back, then its previous settings (-b, -f, -r,
    --backlog_wait_time, --loginuid-immutable, -e last); the previous compiled file follows when
    the task fails (the undo step of _compile_if_needed). Returns (everything restored, what to
    add to the message: exactly what was and was not restored)."""
    rules_back, problem = H.restore_kernel_rules(module, auditctl, before)
    restored, not_restored = H.restore_kernel_settings(module, auditctl, settings_before)
    notes = ["previous rules %s" % ("restored" if rules_back else "NOT fully restored: %s" % problem)]
    if restored:
        notes.append("settings restored: %s" % ", ".join(restored))
    if not_restored:
        notes.append("settings NOT restored: %s" % ", ".join(not_restored))
    return rules_back and not not_restored, "; ".join(notes)


def _kernel_changed(module, auditctl, before, settings_before):
    """(kernel rules now, whether the rules or a RESTORED_SETTINGS value differ from before)."""
    after = H.kernel_listing(module, auditctl)
    return after, after != before or bool(H.changed_settings(settings_before, H.kernel_status(module)))


def _planned_snapshot(snapshot, planned):
    """The files as audit_rules (check mode) plans them, with this host's kernel state."""
    plan = PL.plan_of_changes(snapshot, planned.get("added") or [], planned.get("removed") or [])
    return PL.apply_plan(snapshot, plan).replace(kernel=snapshot.kernel)


def _result(snapshot, **values):
    result = dict(loaded=False, changed=False, command=[], reboot_required=False, missing_in_kernel=[],
                  kernel_rules=[], rolled_back=False, mode=snapshot.mode)
    result.update(values)
    return result


def load(module, snapshot, context):
    params = module.params
    kernel = snapshot.kernel
    if not kernel.read:
        if params["required"]:
            module.fail_json(msg="cannot load audit rules: %s" % kernel.reason, **_result(snapshot, reason=kernel.reason))
        module.exit_json(**_result(snapshot, reason=kernel.reason))
    auditctl = H.auditctl_path(module)
    command = H.load_command(module, snapshot)
    before = kernel.listing
    if kernel.enabled == 2:
        module.warn("the kernel's audit rules are locked (enabled 2): reboot to apply the persisted rules")
        module.exit_json(**_result(snapshot, reason="kernel rules are immutable (enabled 2)", reboot_required=True,
                                   command=command, kernel_rules=R.listed_rules(before)))
    if module.check_mode:
        missing = L.missing_in_kernel(context, before)
        would_change = bool(missing) or len(context.kernel.rules()) != len(context.disk.rules())
        module.exit_json(**_result(snapshot, changed=would_change, command=command, reason="check mode",
                                   missing_in_kernel=missing, kernel_rules=R.listed_rules(before)))
    _compile_if_needed(module, snapshot, command)
    _refuse_a_compiled_file_root_does_not_own(module, snapshot, command)
    rc, out, err = module.run_command(command)
    if rc != 0:
        _fail_load(module, snapshot, auditctl, command, before, out + err)
    after, changed = _kernel_changed(module, auditctl, before, kernel.status)
    missing = L.missing_in_kernel(context, after)
    result = _result(snapshot, loaded=True, changed=changed, command=command, missing_in_kernel=missing,
                     kernel_rules=R.listed_rules(after))
    if missing and params["verify"]:
        msg = "the kernel does not show %d persisted rule(s) after loading" % len(missing)
        if params["rollback"]:
            rolled_back, note = _rollback(module, auditctl, before, kernel.status)
            msg += "; " + note
            after, changed = _kernel_changed(module, auditctl, before, kernel.status)
            result.update(rolled_back=rolled_back, changed=changed, kernel_rules=R.listed_rules(after))
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


def _fail_load(module, snapshot, auditctl, command, before, output):
    where = L.source_of_error(snapshot, output)
    rolled_back, note = False, ""
    if module.params["rollback"]:
        rolled_back, note = _rollback(module, auditctl, before, snapshot.kernel.status)
    after, changed = _kernel_changed(module, auditctl, before, snapshot.kernel.status)
    msg = "%s failed%s: %s" % (" ".join(command), " at %s" % where if where else "", output.strip())
    if module.params["rollback"]:
        msg += "; " + note
    module.fail_json(msg=msg, **_result(snapshot, command=command, rolled_back=rolled_back, reason="load failed",
                                        changed=changed, kernel_rules=R.listed_rules(after)))


def main():
    spec = M.argument_spec(with_profile=False, with_matching=False, required=dict(type="bool", default=False),
                           rollback=dict(type="bool", default=True), verify=dict(type="bool", default=True),
                           validate=dict(type="bool", default=True), planned=dict(type="dict"))
    module = M.guard(AnsibleModule(argument_spec=spec, supports_check_mode=True))
    params = module.params
    machine = M.target_machine(module)
    try:
        target = H.rules_target(params)
        with H.locked(target.directory):
            snapshot = H.snapshot(module, machine, params["rules_dir"], params["compiled_file"], target.loader)
            if module.check_mode and params["planned"]:
                snapshot = _planned_snapshot(snapshot, params["planned"])
            context = E.Context(snapshot)
            errors = L.validation_errors(context) if params["validate"] else []
            unread_errors, unread_warnings = L.unread_files(snapshot)
            for warning in unread_warnings:
                module.warn(warning)
            errors += unread_errors if params["validate"] else []
            if errors:
                module.fail_json(msg="not loaded: auditctl would reject %s" % errors[0], errors=errors,
                                 **_result(snapshot, reason="validation failed"))
            load(module, snapshot, context)
    except H.HostError as exc:
        module.fail_json(msg=str(exc))
    except Exception:  # pylint: disable=broad-except  # a bug: undo what was written, then report it
        M.fail_unexpected(module)


if __name__ == "__main__":
    main()
