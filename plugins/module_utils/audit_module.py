# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs and glue shared by the auditkit.auditd modules (private)."""

import os

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q

# Matches plugins/doc_fragments/rules.py.
COMMON_SPEC = dict(
    rules_dir=dict(type="path", default=R.DEFAULT_RULES_DIR),
    compiled_file=dict(type="path", default=R.DEFAULT_COMPILED_FILE),
    loader=dict(type="str", choices=["auto", "augenrules", "auditctl"], default="auto"),
    arch=dict(type="str"),
    match=dict(type="str", choices=["strict", "coverage"], default="strict"),
    key_policy=dict(type="str", choices=["any", "exact"], default="any"),
)


def argument_spec(**extra):
    spec = dict((name, dict(value)) for name, value in COMMON_SPEC.items())
    spec.update(extra)
    return spec


def target_machine(module):
    """The machine to judge for: the arch option, else ``uname -m``; fails on unknown ones."""
    machine = module.params["arch"] or os.uname()[4]
    try:
        return A.normalize_machine(machine)
    except ValueError as exc:
        module.fail_json(msg="arch: %s" % exc)


def requirements(module, machine, allow_never=False, allow_control=False):
    """Validated Requirement objects from the rules option; fails naming the bad rule."""
    try:
        requirements = Q.parse_requirements(module.params["rules"] or [], machine, allow_never=allow_never,
                                            allow_control=allow_control)
    except Q.RequirementError as exc:
        module.fail_json(msg=str(exc))
    resolve_requirement_names(requirements, machine)
    return requirements


def resolve_requirement_names(requirements, machine):
    """Resolve user and group names of required rules on this host, as the files' rules are."""
    rules = [r.effective for r in requirements if r.effective is not None]
    facts = H.resolve_names(rules)
    for requirement in requirements:
        if requirement.effective is not None:
            requirement.canon = S.canonical(requirement.effective, machine)
    return facts


def check_rules_dir(module, path):
    if not os.path.isdir(path):
        module.fail_json(msg="rules_dir %s does not exist or is not a directory (is the audit package installed?)"
                         % path)
