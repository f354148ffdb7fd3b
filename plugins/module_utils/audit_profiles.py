# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Profiles to required rules, and verdicts back to controls (private to auditkit.auditd).
Pure: no I/O. The data is generated into audit_profiles_data from data/*.yml.

Arch policy: the rules a benchmark states are required as written. A b64-only syscall rule
also gets its ``arch=b32`` twin on 64-bit machines that run 32-bit processes (x86_64, s390x):
*advisory* (written by default, never a failure) unless the profile's benchmark requires the
b32 rule (``b32_twins: required``, decided from the catalog's ``b32_rule_required`` fact). On
32-bit machines (i386, arm, ppc, s390) the b32 form is required *in place of* the b64 rule
(CIS RHEL 7: "For 32 bit systems ... arch=b32"). On aarch64, b32 rules are left out unless
asked (``b32_on_aarch64``); syscalls that do not exist on the machine make their control
``not_applicable``.
"""

import difflib
from collections import namedtuple

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS, PROFILES, UID_MIN

AUTO = "auto"
TWIN_MACHINES = ("x86_64", "s390x")  # 64-bit kernels that commonly run 32-bit processes
STATUS_ORDER = ("fail", "pass", "not_applicable")

ProfileRule = namedtuple("ProfileRule", "text control advisory")
UidMin = namedtuple("UidMin", "value source")
UidMin.__doc__ = "A host's UID_MIN and where it came from (/etc/login.defs, the uid_min option, the default)."
DEFAULT_UID_MIN = UidMin(UID_MIN, "default (no UID_MIN in /etc/login.defs)")
UID_MIN_MARK = "<UID_MIN>"
ProfileRule.__doc__ = "A rule a profile requires: text, catalog control ID, advisory (never a failure)."


class ProfileError(ValueError):
    """A profile or control selection that does not exist, with what does."""


def names():
    return sorted(PROFILES)


def auto_profile(os_release):
    """(profile name, why) for /etc/os-release values; ProfileError when none fits."""
    distro = (os_release.get("ID") or "").lower()
    major = (os_release.get("VERSION_ID") or "").split(".")[0]
    for name in names():
        match = PROFILES[name]["os"]
        if match and distro in match["ids"] and major == match["version"]:
            return name, "auto: /etc/os-release ID=%s VERSION_ID=%s" % (distro, os_release.get("VERSION_ID"))
    raise ProfileError("profile auto: no bundled STIG profile for ID=%s VERSION_ID=%s; set profile to one of %s"
                       % (distro or "?", os_release.get("VERSION_ID") or "?", ", ".join(names())))


def control_ids(control):
    """Every ID a user may name a control by: V-, SV- (with or without its revision), STIG ID,
    CIS number, catalog ID, and the older V-/SV- IDs the catalog records (V-72187, SV-86811)."""
    data = CONTROLS[control]
    rule_base = data["rule_id"].split("r")[0] if data["rule_id"] else None  # SV-274091r1120261_rule
    ids = [data["id"], control, data["vuln_id"], data["rule_id"], rule_base, data["stig_id"], data["recommendation"]]
    return [i for i in ids + list(data.get("legacy_ids") or []) if i]


def labels(control):
    """The IDs written in marker comments and reports: display ID and STIG ID."""
    data = CONTROLS[control]
    return [data["id"]] + ([data["stig_id"]] if data["stig_id"] else [])


def split_ids(given):
    """Control IDs as users and surveys give them: one per item or comma-separated, spaces
    around each ignored, duplicates dropped (order kept)."""
    ids = []
    for item in given or []:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in ids:
                ids.append(part)
    return ids


def _catalog_index():
    """{upper-case ID: [catalog IDs]} over every bundled control (IDs may repeat across benchmarks)."""
    index = {}
    for control in sorted(CONTROLS):
        for control_id in control_ids(control):
            index.setdefault(control_id.upper(), [])
            if control not in index[control_id.upper()]:
                index[control_id.upper()].append(control)
    return index


def _unknown_error(option, unknown):
    known = sorted(set(i for c in CONTROLS for i in control_ids(c)))
    parts = []
    for control_id in unknown:
        close = difflib.get_close_matches(control_id, known, n=3, cutoff=0.6)
        parts.append("%s (did you mean %s?)" % (control_id, ", ".join(close)) if close else control_id)
    return ProfileError("%s: %s: not a control of any bundled profile; docs/profiles.md lists every control and "
                        "its IDs" % (option, "; ".join(parts)))


_INDEX = []


def catalog_index():
    """_catalog_index(), built once per process (the reports look every waiver key up in it)."""
    if not _INDEX:
        _INDEX.append(_catalog_index())
    return _INDEX[0]


def check_ids(wanted=None, skipped=None, option=None):
    """Raise ProfileError, naming close matches, for an ID that no bundled profile has. The role
    also calls this once on the controller (filter control_id_error), before it changes anything.
    With option, wanted alone is checked and the message names that option (waiver keys, tags)."""
    index = catalog_index()
    checks = (((option, split_ids(wanted)),) if option else
              (("controls", split_ids(wanted)), ("skip_controls", split_ids(skipped))))
    for name, given in checks:
        unknown = [i for i in given if i.upper() not in index]
        if unknown:
            raise _unknown_error(name, unknown)


def _not_in_profile_reason(control_id, control, profile):
    owners = [name for name in names() if control in PROFILES[name]["controls"]]
    return "%s is a control of %s (%s), not of profile %s that this host is judged by" % (
        control_id, ", ".join(owners), CONTROLS[control]["benchmark"], profile)


def resolve(profile, wanted=None, skipped=None):
    """(controls, not_in_profile) for a host judged by ``profile``: the catalog IDs of the
    profile's controls that ``wanted`` (all when empty) names and ``skipped`` does not, and
    [(catalog ID, reason)] for the wanted controls of other profiles only (not_applicable on
    this host). IDs match case-insensitively; an ID in no profile raises ProfileError naming
    close matches, whatever the host."""
    if profile not in PROFILES:
        raise ProfileError("unknown profile %r; bundled profiles: %s" % (profile, ", ".join(names())))
    wanted, skipped = split_ids(wanted), split_ids(skipped)
    check_ids(wanted, skipped)
    index = _catalog_index()
    wanted_set = set(c for i in wanted for c in index[i.upper()])
    skipped_set = set(c for i in skipped for c in index[i.upper()])
    controls = [c for c in PROFILES[profile]["controls"]
                if (not wanted or c in wanted_set) and c not in skipped_set]
    not_in_profile = []
    for control_id in wanted:
        matches = index[control_id.upper()]
        if set(matches) & set(PROFILES[profile]["controls"]):
            continue  # a CIS number shared by two benchmarks names this profile's control here
        for control in matches:
            if control not in skipped_set and control not in [c for c, _reason in not_in_profile]:
                not_in_profile.append((control, _not_in_profile_reason(control_id, control, profile)))
    return controls, not_in_profile


def select(profile, wanted=None, skipped=None):
    """The catalog IDs of a profile's controls, filtered by any of their IDs (see resolve())."""
    return resolve(profile, wanted, skipped)[0]


def not_in_profile_verdicts(not_in_profile):
    """not_applicable control verdicts for controls of other profiles, with their reasons."""
    verdicts = control_verdicts([control for control, _reason in not_in_profile], [])
    for verdict, (_control, reason) in zip(verdicts, not_in_profile):
        verdict["reason"] = reason
    return verdicts


def _bits(line):
    return "b32" if "arch=b32" in line else "b64" if "arch=b64" in line else None


def is_32bit(machine):
    """True for machines without a 64-bit ABI (i386, arm, ppc, s390): their rules are b32."""
    return "b64" not in A.MACHINES[A.normalize_machine(machine)]


def _on_32bit_machine(line, lines, machine):
    """(rule text or None, note) for a benchmark line on a 32-bit machine: a b64 rule cannot
    load there, so its b32 form is required instead (unless the benchmark lists it already)."""
    twin = line.replace("arch=b64", "arch=b32")
    if twin in lines:
        return None, "b64 rule not applied on 32-bit %s (its b32 rule is required): %s" % (machine, line)
    return twin, "on 32-bit %s the b32 form is required in place of: %s" % (machine, line)


def profile_rules(profile, machine, wanted=None, skipped=None, b32_twins=True, b32_on_aarch64=False, uid_min=None):
    """([ProfileRule], {control: [notes]}) for ``profile`` on ``machine``."""
    return control_rules(profile, select(profile, wanted, skipped), machine, b32_twins, b32_on_aarch64, uid_min)


def uses_host_uid_min(control):
    """True for controls whose text writes auid>=${UID_MIN} (the CIS benchmarks)."""
    return bool(CONTROLS[control].get("uid_min_rules"))


def rule_lines(control, uid_min=None):
    """(the control's required lines, note or None) with the host's UID_MIN (a UidMin; the
    default when None) filled in where the text takes it; STIG texts keep their fixed value,
    with a note when the host's UID_MIN differs (uids between them are not audited)."""
    uid_min = uid_min or DEFAULT_UID_MIN
    templates = CONTROLS[control].get("uid_min_rules")
    if templates:
        return ([line.replace(UID_MIN_MARK, str(uid_min.value)) for line in templates],
                "auid>=%d: this host's UID_MIN (%s)" % (uid_min.value, uid_min.source))
    lines = CONTROLS[control]["rules"]
    if uid_min.value != UID_MIN and any("auid>=%d" % UID_MIN in line for line in lines):
        return lines, ("auid>=%d is fixed by the benchmark's text; this host's UID_MIN is %d (%s)"
                       % (UID_MIN, uid_min.value, uid_min.source))
    return lines, None


def control_rules(profile, controls, machine, b32_twins=True, b32_on_aarch64=False, uid_min=None):
    """([ProfileRule], {control: [notes]}) for the catalog IDs ``controls`` of ``profile`` (as
    resolve() selects them) on ``machine``, with the host's ``uid_min`` (UidMin or None: the default)."""
    machine = A.normalize_machine(machine)
    twin_policy = PROFILES[profile]["b32_twins"] if profile in PROFILES else None
    rules, notes = [], {}
    for control in controls:
        lines, uid_note = rule_lines(control, uid_min)
        if uid_note:
            notes.setdefault(control, []).append(uid_note)
        for line in lines:
            if _bits(line) == "b64" and is_32bit(machine):
                text, note = _on_32bit_machine(line, lines, machine)
                notes.setdefault(control, []).append(note)
                if text:
                    rules.append(ProfileRule(text, control, False))
                continue
            if _bits(line) == "b32" and machine == "aarch64" and not b32_on_aarch64:
                notes.setdefault(control, []).append("b32 rule not applied on aarch64 (b32_on_aarch64 is off): " + line)
                continue
            rules.append(ProfileRule(line, control, False))
            twin = line.replace("arch=b64", "arch=b32")
            if _bits(line) == "b64" and twin not in lines and machine in TWIN_MACHINES:
                if twin_policy == "required":
                    rules.append(ProfileRule(twin, control, False))
                elif b32_twins:
                    rules.append(ProfileRule(twin, control, True))
    return rules, notes


def _control_status(entries):
    required = [e for e in entries if not e.get("advisory")]
    if not required or all(e["status"] == "not_applicable" for e in required):
        reasons = [e["reason"] for e in required] or ["no rule of this control applies here"]
        return "not_applicable", "; ".join(reasons)
    failed = [e for e in required if e["status"] == "fail"]
    if failed:
        return "fail", "; ".join("%s: %s" % (e["rule"], e["reason"]) for e in failed)
    return "pass", "every required rule is covered"


def control_verdicts(controls, entries, notes=None):
    """One verdict per control from the requirement verdicts tagged with it."""
    verdicts = []
    for control in controls:
        data = CONTROLS[control]
        mine = [e for e in entries if control in e.get("catalog_controls", [])]
        status, reason = _control_status(mine)
        verdict = dict((k, data[k]) for k in ("id", "catalog_id", "title", "severity", "benchmark",
                                              "benchmark_version", "vuln_id", "rule_id", "stig_id",
                                              "recommendation", "ccis", "keys"))
        verdict.update(status=status, reason=reason,
                       rules=[e["rule"] for e in mine if not e.get("advisory")],
                       advisory=[dict((k, e[k]) for k in ("rule", "status", "reason")) for e in mine if e.get("advisory")],
                       notes=list((notes or {}).get(control, [])))
        verdicts.append(verdict)
    return verdicts


KMOD_RULE_PATHS = ("path=/usr/bin/kmod", "path=/bin/kmod")


def module_tool_rules(rules, tools):
    """([ProfileRule], {control: [notes]}) for the module tools that are not kmod (audit_host.module_tools):
    where a control requires the kmod path rule (-F path=/usr/bin/kmod -F perm=x ...), the same rule for
    the file the tool resolves to, because the kmod rule records only programs that are kmod; a control
    without a kmod path rule (the watch forms) gets a note with the manual step instead."""
    others = [t for t in tools or [] if not t["is_kmod"]]
    extra, notes = [], {}
    if not others:
        return extra, notes
    for control in sorted(set(r.control for r in rules)):
        kmod_rules = [r for r in rules if r.control == control and not r.advisory
                      and any(p + " " in r.text + " " for p in KMOD_RULE_PATHS)]
        exec_rules = [r.text for r in rules if r.control == control and ("-p x" in r.text or "perm=x" in r.text)]
        for tool in others:
            what = "a copy of kmod" if tool["kmod_copy"] else "not kmod"
            where = tool["path"] if tool["path"] == tool["resolves_to"] else "%s -> %s" % (tool["path"], tool["resolves_to"])
            if kmod_rules:
                for rule in kmod_rules:
                    path = next(p for p in KMOD_RULE_PATHS if p + " " in rule.text + " ")
                    text = (rule.text + " ").replace(path + " ", "path=%s " % tool["resolves_to"], 1).strip()
                    extra.append(ProfileRule(text, control, False))
                    notes.setdefault(control, []).append(
                        "module tool %s is %s: the kmod rule does not record it, so this control also requires %s"
                        % (where, what, text))
            elif exec_rules and not any(" %s " % p in " %s " % text for text in exec_rules
                                        for p in (tool["path"], tool["resolves_to"])):
                notes.setdefault(control, []).append(
                    "module tool %s is %s and not watched by this control's rules, whose text has no kmod path rule "
                    "to extend: manual step, replace it by a link to kmod or watch it (-w %s -p x) as the site's "
                    "policy allows" % (where, what, tool["resolves_to"]))
    return extra, notes
