# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs and glue shared by the auditkit.auditd modules (private)."""

import json
import os
import re
import sys
import traceback

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q

# --- results the controller accepts ---------------------------------------------------------------

# Text read from files keeps undecodable bytes as lone surrogates (R.UNDECODABLE), so that a
# rewritten file keeps them exactly. The controller refuses such strings in a result; every result
# leaves through guard(), which shows each such byte as a visible \\xNN escape instead.


def _escape(match):
    code = ord(match.group(0))
    return "\\x%02x" % (code - 0xdc00) if 0xdc80 <= code <= 0xdcff else "\\u%04x" % code


# repr() of such a string (a message quoting a word with %r) spells the byte '\\udcff': shown as \\xff too
REPR_OF_UNDECODABLE = re.compile(r"\\udc([89a-f][0-9a-f])")


def printable(value):
    """``value`` with every undecodable byte in its strings (and dict keys) shown as ``\\xNN``."""
    if isinstance(value, str):
        return REPR_OF_UNDECODABLE.sub(r"\\x\1", R.UNDECODABLE.sub(_escape, value))
    if isinstance(value, dict):
        return dict((printable(key), printable(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [printable(item) for item in value]
    return value


def check_result(result):
    """Raise TypeError or ValueError unless ``result`` can be returned as JSON: call it before
    writing, so that a result that cannot be returned is found while nothing has changed yet.
    One serialisation: json.dumps escapes lone surrogates, which guard() shows as \\xNN at exit."""
    json.dumps(result)


class _ResultGuard(object):
    """Wraps a module's exit_json, fail_json and warn (see guard())."""

    def __init__(self, module):
        self.exit_json, self.fail_json, self.warn = module.exit_json, module.fail_json, module.warn
        self.undo_steps = []

    def guarded_exit(self, **kwargs):
        self.exit_json(**printable(kwargs))

    def guarded_fail(self, msg, **kwargs):
        if self.undo_steps:
            problems = self.undo()
            msg = "%s; %s" % (msg, "NOT fully undone: %s" % problems if problems else "every file written is back")
        self.fail_json(msg=printable(msg), **printable(kwargs))

    def guarded_warn(self, warning):
        self.warn(printable(warning))

    def undo(self):
        problems = []
        while self.undo_steps:
            try:
                problems.append(self.undo_steps.pop()())
            except Exception as exc:  # pylint: disable=broad-except  # report it, then fail as asked
                problems.append(str(exc))
        return "; ".join(p for p in problems if p)


def guard(module):
    """Make ``module`` (an AnsibleModule) return only what the controller accepts: results, failures
    and warnings go through printable(). ``module.undo_on_failure(step)`` registers a step (it
    returns a problem text or "") that runs if the task fails later, before the failure is
    reported: a failed task has changed nothing. AnsibleModule's own failures go through it too."""
    result_guard = _ResultGuard(module)
    module.exit_json = result_guard.guarded_exit
    module.fail_json = result_guard.guarded_fail
    module.warn = result_guard.guarded_warn
    module.undo_on_failure = result_guard.undo_steps.append
    return module


def fail_unexpected(module):
    """Report the exception being handled (a bug) as a failure, after the undo steps ran."""
    module.fail_json(msg="unexpected error (please report it): %s" % (sys.exc_info()[1],),
                     exception=traceback.format_exc())


# Matches plugins/doc_fragments/profile.py.
PROFILE_SPEC = dict(
    profile=dict(type="str", choices=[PF.AUTO] + PF.names()),
    controls=dict(type="list", elements="str", default=[]),
    skip_controls=dict(type="list", elements="str", default=[]),
    b32_twins=dict(type="bool", default=True),
    b32_on_aarch64=dict(type="bool", default=False),
    uid_min=dict(type="int"),
)

# Matches plugins/doc_fragments/rules.py.
COMMON_SPEC = dict(
    rules_dir=dict(type="path", default=R.DEFAULT_RULES_DIR),
    compiled_file=dict(type="path", default=R.DEFAULT_COMPILED_FILE),
    loader=dict(type="str", choices=["auto", "augenrules", "auditctl"], default="auto"),
    arch=dict(type="str"),
    max_rules_bytes=dict(type="int", default=16 * 1024 * 1024),
    max_rules_lines=dict(type="int", default=20000),
)

# Matches plugins/doc_fragments/matching.py.
MATCHING_SPEC = dict(
    match=dict(type="str", choices=list(S.MATCH_MODES), default=S.DEFAULT_POLICY.match),
    key_policy=dict(type="str", choices=list(S.KEY_POLICIES), default=S.DEFAULT_POLICY.key_policy),
)


def match_policy(params):
    """The S.MatchPolicy of the match and key_policy options."""
    return S.MatchPolicy(params["match"], params["key_policy"])


def argument_spec(with_profile=True, with_matching=True, **extra):
    options = list(COMMON_SPEC.items())
    options += list(MATCHING_SPEC.items()) if with_matching else []
    options += list(PROFILE_SPEC.items()) if with_profile else []
    spec = dict((name, dict(value)) for name, value in options)
    spec.update(extra)
    return spec


PATH_OPTIONS = ("rules_dir", "compiled_file", "dest")


def check_paths(module):
    """Refuse relative paths, '..' segments and control characters in path options."""
    for name in PATH_OPTIONS:
        value = module.params.get(name)
        if value is None:
            continue
        if not value.startswith("/"):
            module.fail_json(msg="%s %r must be an absolute path" % (name, value))
        if ".." in value.split("/"):
            module.fail_json(msg="%s %r must not contain '..' segments" % (name, value))
        if any(ord(char) < 32 for char in value):
            module.fail_json(msg="%s %r contains a control character" % (name, value))


def target_machine(module):
    """The machine to judge for: the arch option, else ``uname -m``; fails on unknown ones."""
    check_paths(module)
    machine = module.params["arch"] or os.uname()[4]
    try:
        return A.normalize_machine(machine)
    except ValueError as exc:
        module.fail_json(msg="arch: %s" % exc)


class Selection(object):
    """What a module call requires: the profile (if any), its controls and the Requirements."""

    def __init__(self, profile=None, picked_by=None, controls=(), notes=None, requirements=(), not_in_profile=(),
                 uid_min=None):
        self.profile = profile
        self.uid_min = uid_min  # PF.UidMin the profile's rules were filled in with
        self.picked_by = picked_by
        self.controls = list(controls)
        self.notes = notes or {}
        self.requirements = list(requirements)
        self.not_in_profile = list(not_in_profile)  # [(catalog ID, reason)]: not_applicable here

    def profile_data(self):
        if not self.profile:
            return None
        data = {"name": self.profile, "title": PF.PROFILES[self.profile]["title"], "picked_by": self.picked_by}
        if self.uid_min is not None:
            data.update(uid_min=self.uid_min.value, uid_min_source=self.uid_min.source,
                        uid_min_used=any(PF.uses_host_uid_min(c) for c in self.controls))
        return data


MAX_CONTROL_IDS = 200
MAX_CONTROL_ID_LENGTH = 64


def _check_control_ids(params):
    for option in ("controls", "skip_controls"):
        given = params[option] or []
        if len(given) > MAX_CONTROL_IDS:
            raise PF.ProfileError("%s: %d IDs given; the limit is %d" % (option, len(given), MAX_CONTROL_IDS))
        for item in given:
            if len(item) > MAX_CONTROL_ID_LENGTH or any(ord(char) < 32 for char in item):
                raise PF.ProfileError("%s: %r is not a control ID" % (option, item[:MAX_CONTROL_ID_LENGTH]))


def _profile_part(params, machine):
    """(profile, picked_by, controls, notes, [ProfileRule], not_in_profile, UidMin) or Nones without a
    profile. Control IDs resolve against this host's profile: IDs of other profiles' controls
    become not_in_profile (not_applicable here); an ID in no profile fails on every host."""
    _check_control_ids(params)
    profile = params["profile"]
    if not profile:
        if PF.split_ids(params["controls"]) or PF.split_ids(params["skip_controls"]):
            raise PF.ProfileError("controls and skip_controls need a profile")
        return None, None, [], {}, [], [], None
    picked_by = "profile given"
    if profile == PF.AUTO:
        profile, picked_by = PF.auto_profile(H.os_release())
    controls, not_in_profile = PF.resolve(profile, params["controls"], params["skip_controls"])
    uid_min = host_uid_min(params)
    rules, notes = PF.control_rules(profile, controls, machine, params["b32_twins"], params["b32_on_aarch64"], uid_min)
    tool_rules, tool_notes = PF.module_tool_rules(rules, H.module_tools())
    for control, more in tool_notes.items():
        notes.setdefault(control, []).extend(more)
    return profile, picked_by, controls, notes, rules + tool_rules, not_in_profile, uid_min


def host_uid_min(params):
    """The host's UID_MIN as a PF.UidMin: the uid_min option, else /etc/login.defs (read once
    per module call), else the default; ProfileError for a uid_min that is no uid."""
    given = params.get("uid_min")
    if given is not None:
        if not 0 <= given < 4294967295:
            raise PF.ProfileError("uid_min %d is not a uid (0 to 4294967294)" % given)
        return PF.UidMin(given, "uid_min=%d given" % given)
    value, source = H.login_defs_uid_min()
    if value is None:
        return PF.UidMin(PF.DEFAULT_UID_MIN.value, "default %d: %s" % (PF.DEFAULT_UID_MIN.value, source))
    return PF.UidMin(value, source)


def requirements(module, machine, allow_never=False, allow_control=False):
    """The Selection of a module call: profile rules first, then the rules option.
    Fails, naming the bad rule or profile option, before anything is read or written."""
    params = module.params
    try:
        profile, picked_by, controls, notes, profile_rules, not_in_profile, uid_min = _profile_part(params, machine)
        labels = dict((i, PF.labels(r.control)) for i, r in enumerate(profile_rules))
        # A setting a benchmark requires (CIS RHEL 10's -c) is the profile's; allow_control
        # governs only the settings a user gives in the rules option.
        parsed = (Q.parse_requirements([r.text for r in profile_rules], machine, controls=labels,
                                       allow_never=allow_never, allow_control=True)
                  + Q.parse_requirements(list(params["rules"] or []), machine, allow_never=allow_never,
                                         allow_control=allow_control))
    except (PF.ProfileError, Q.RequirementError) as exc:
        module.fail_json(msg=str(exc))
    for requirement, rule in zip(parsed, profile_rules):
        requirement.catalog_controls = (rule.control,)
        requirement.advisory = rule.advisory
    return Selection(profile, picked_by, controls, notes, parsed, not_in_profile, uid_min)


def with_controls(result, selection):
    """Add the profile and per-control verdicts to an evaluate() result."""
    result["profile"] = selection.profile_data()
    result["controls"] = (PF.control_verdicts(selection.controls, result["requirements"], selection.notes)
                          + PF.not_in_profile_verdicts(selection.not_in_profile))
    counts = dict((status, 0) for status in PF.STATUS_ORDER)
    for verdict in result["controls"]:
        counts[verdict["status"]] += 1
    result["summary"]["controls"] = counts
    return result


def bind_to_host(selection, snapshot):
    """Judge the required rules as this host's auditctl would load them: user names resolved,
    a watch on a directory a directory watch. Adds the facts about their paths and names to
    the snapshot (for host_problem)."""
    rules = [r.effective for r in selection.requirements if r.effective is not None]
    if selection.profile:
        snapshot.module_tools = H.module_tools()
    snapshot.names.update(H.resolve_names(rules))
    new_paths = sorted(set(p for rule in rules for p, _needs in N.rule_paths(rule)) - set(snapshot.paths))
    snapshot.paths.update(H.path_facts(new_paths))
    for requirement in selection.requirements:
        if requirement.effective is not None:
            requirement.canon = S.canonical(requirement.effective, snapshot.machine, snapshot.is_dir)


def check_rules_dir(module, path):
    if not os.path.isdir(path):
        module.fail_json(msg="rules_dir %s does not exist or is not a directory (%s)" % (path, H.missing_dir_hint(path)))
