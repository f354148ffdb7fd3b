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
    kernel's rules stay as they were.
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
      - When loading fails part-way, or O(verify) fails after the load, put the kernel's previous rules back and the
        previous compiled file (its exact bytes, mode and owner; removed if it did not exist), so that the failed task has
        changed nothing.
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
  description: Whether the kernel's rules changed (or would change, in check mode).
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
  description: Whether the previous rules were put back after a failed load.
  returned: always
  type: bool
mode:
  description: How the rules were loaded, V(augenrules) or V(auditctl).
  returned: always
  type: str
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_plan as P
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R

ERROR_LINE = re.compile(r"There was an error in line (\d+) of (\S+)")


def validation_errors(context):
    """Every line auditctl would reject, as "file:line: reason" (empty when all load)."""
    errors = ["%s:%s: %s" % (error.file, error.line, error.reason) for error in context.all_rejected]
    if "-D" not in context.disk.settings and context.kernel is not None:
        loaded = set(rule.canon for rule in context.kernel.rules())
        for rule in context.disk.rules():
            if rule.canon in loaded:
                errors.append("%s:%s: already in the kernel and no -D clears it first: auditctl would stop "
                              "(Rule exists); add -D at the top of the rules" % (rule.source.file, rule.source.line))
    return errors


def _uses_augenrules_script(module, snapshot):
    return (snapshot.mode == "augenrules" and snapshot.rules_dir == R.DEFAULT_RULES_DIR
            and snapshot.compiled_path == R.DEFAULT_COMPILED_FILE
            and module.get_bin_path("augenrules", opt_dirs=["/sbin", "/usr/sbin"]))


def _command(module, snapshot, auditctl):
    script = _uses_augenrules_script(module, snapshot)
    if script:
        return [script, "--load"]
    return [auditctl, "-R", snapshot.compiled_path]


def _compile_if_needed(module, snapshot, command):
    """Our own augenrules for non-default paths: write the compiled file (0640, as augenrules)."""
    if snapshot.mode != "augenrules" or command[0] != H.auditctl_path(module):
        return
    text = R.compiled_text(snapshot.compile())
    current = snapshot.compiled.text if snapshot.compiled is not None and snapshot.compiled.readable else None
    if text != current:
        if module.params["rollback"]:  # a failed task puts the previous bytes back (M.guard)
            module.undo_on_failure(H.undo_step(module, snapshot.compiled_path))
        H.write_atomic(module, snapshot.compiled_path, text, new_mode=0o640)


def _source_of_error(snapshot, output):
    """Map auditctl's "error in line N of FILE" to the rules file and line it came from."""
    match = ERROR_LINE.search(output)
    if not match:
        return None
    number = int(match.group(1))
    if snapshot.mode == "augenrules":
        compiled = snapshot.compile()
        if 0 < number <= len(compiled) and compiled[number - 1].source is not None:
            source = compiled[number - 1].source
            return "%s:%s (line %d of %s)" % (source.file, source.line, number, match.group(2))
    return "%s:%d" % (match.group(2), number)


def _restore_kernel(module, auditctl, listing):
    """Load the kernel's previous rules again (-D, -c, the old auditctl -l lines)."""
    fd, path = tempfile.mkstemp(prefix="auditkit-rollback-", suffix=".rules")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("-D\n-c\n" + "".join(rule + "\n" for rule in _lines(listing)))
        rc, out, err = module.run_command([auditctl, "-R", path])
    finally:
        os.unlink(path)
    return "" if rc == 0 else "kernel rules: %s" % (err or out).strip()


def _rollback(module, auditctl, listing):
    """The kernel's previous rules; the previous compiled file follows when the task fails (the
    undo step _compile_if_needed registered). Returns (restored, problem)."""
    problem = _restore_kernel(module, auditctl, listing)
    return not problem, problem


def _missing_in_kernel(context, listing, snapshot):
    kernel = R.simulate_load(R.kernel_items(listing), snapshot.machine, snapshot.is_dir, continue_on_error=True)
    present = {}
    for loaded in kernel.rules():
        present[loaded.canon] = present.get(loaded.canon, 0) + 1
    missing = []
    for loaded in context.disk.rules():
        if present.get(loaded.canon):
            present[loaded.canon] -= 1
        else:
            missing.append({"file": loaded.source.file, "line": loaded.source.line,
                            "text": loaded.rule.text.strip()})
    return missing


def _planned_snapshot(snapshot, planned):
    """The files as audit_rules (check mode) plans them, with this host's kernel state."""
    planned_files = P.apply_plan(snapshot, P.plan_of_changes(snapshot, planned.get("added") or [],
                                                             planned.get("removed") or []))
    planned_files.kernel = snapshot.kernel
    return planned_files


def _listing(module, auditctl):
    rc, out, err = module.run_command([auditctl, "-l"])
    if rc != 0:
        module.fail_json(msg="auditctl -l failed: %s" % (err or out).strip())
    return out


def _result(snapshot, **values):
    result = dict(loaded=False, changed=False, command=[], reboot_required=False, missing_in_kernel=[],
                  kernel_rules=[], rolled_back=False, mode=snapshot.mode)
    result.update(values)
    return result


def _lines(listing):
    return [line for line in R.split_lines(listing) if line.strip() and line.strip() != "No rules"]


def load(module, snapshot, context):
    params = module.params
    kernel = snapshot.kernel
    if not kernel.read:
        if params["required"]:
            module.fail_json(msg="cannot load audit rules: %s" % kernel.reason, **_result(snapshot, reason=kernel.reason))
        module.exit_json(**_result(snapshot, reason=kernel.reason))
    auditctl = H.auditctl_path(module)
    command = _command(module, snapshot, auditctl)
    before = kernel.listing
    if kernel.enabled == 2:
        module.warn("the kernel's audit rules are locked (enabled 2): reboot to apply the persisted rules")
        module.exit_json(**_result(snapshot, reason="kernel rules are immutable (enabled 2)", reboot_required=True,
                                   command=command, kernel_rules=_lines(before)))
    if module.check_mode:
        missing = _missing_in_kernel(context, before, snapshot)
        would_change = bool(missing) or len(context.kernel.rules()) != len(context.disk.rules())
        module.exit_json(**_result(snapshot, changed=would_change, command=command, reason="check mode",
                                   missing_in_kernel=missing, kernel_rules=_lines(before)))
    _compile_if_needed(module, snapshot, command)
    rc, out, err = module.run_command(command)
    if rc != 0:
        _fail_load(module, snapshot, auditctl, command, before, out + err)
    after = _listing(module, auditctl)
    missing = _missing_in_kernel(context, after, snapshot)
    result = _result(snapshot, loaded=True, changed=after != before, command=command, missing_in_kernel=missing,
                     kernel_rules=_lines(after))
    if missing and params["verify"]:
        msg = "the kernel does not show %d persisted rule(s) after loading" % len(missing)
        if params["rollback"]:
            rolled_back, detail = _rollback(module, auditctl, before)
            msg += "; previous rules %s" % ("restored" if rolled_back else "NOT fully restored: %s" % detail)
            after = _listing(module, auditctl)
            result.update(rolled_back=rolled_back, changed=after != before, kernel_rules=_lines(after))
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


def _fail_load(module, snapshot, auditctl, command, before, output):
    where = _source_of_error(snapshot, output)
    rolled_back, detail = False, ""
    if module.params["rollback"]:
        rolled_back, detail = _rollback(module, auditctl, before)
    after = _listing(module, auditctl)
    msg = "%s failed%s: %s" % (" ".join(command), " at %s" % where if where else "", output.strip())
    if module.params["rollback"]:
        msg += "; previous rules %s" % ("restored" if rolled_back else "NOT fully restored: %s" % detail)
    module.fail_json(msg=msg, **_result(snapshot, command=command, rolled_back=rolled_back, reason="load failed",
                                        changed=after != before, kernel_rules=_lines(after)))


def main():
    spec = M.argument_spec(with_profile=False, with_matching=False, required=dict(type="bool", default=False), rollback=dict(type="bool", default=True),
                           verify=dict(type="bool", default=True), validate=dict(type="bool", default=True),
                           planned=dict(type="dict"))
    module = M.guard(AnsibleModule(argument_spec=spec, supports_check_mode=True))
    params = module.params
    machine = M.target_machine(module)
    loader = params["loader"]
    if loader == "auto":
        loader = H.detect_loader(params["rules_dir"], params["compiled_file"])[0]
    # the directory audit_rules locks for the same files: rules_dir, or the compiled file's
    lock = params["rules_dir"] if loader == "augenrules" else os.path.dirname(os.path.realpath(params["compiled_file"]))
    try:
        with H.locked(lock):
            snapshot = H.snapshot(module, machine, params["rules_dir"], params["compiled_file"], loader)
            if module.check_mode and params["planned"]:
                snapshot = _planned_snapshot(snapshot, params["planned"])
            context = E.Context(snapshot)
            errors = validation_errors(context) if params["validate"] else []
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
