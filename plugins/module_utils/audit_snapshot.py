# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the host I/O layer gathers about a host, and the facts derived from it (private to
auditkit.auditd). Pure: no I/O.

``audit_host`` fills a Snapshot (rules files, compiled file, kernel state, facts about watched
paths and user names); ``audit_evaluate`` judges it and ``audit_plan`` plans edits on it. The
helpers here say which host facts a rule needs (its paths, its user and group names), never
whether a rule is good enough.
"""

import posixpath

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_fields as F
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_versions as V
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError


class KernelState(object):
    """What ``auditctl -s`` and ``auditctl -l`` said, or why they could not be read."""

    def __init__(self, listing=None, status=None, reason=None):
        self.listing = listing
        self.status = status or {}
        self.reason = reason

    @property
    def read(self):
        return self.listing is not None

    @property
    def enabled(self):
        return self.status.get("enabled")


class Snapshot(object):
    """Everything evaluate() needs to know about a host, gathered by the I/O layer. Build it
    by keyword (only ``machine`` may be positional) and derive variants with replace().

    mode: "augenrules" (rules_dir compiled into compiled_path) or "auditctl" (compiled_path
    loaded directly); files: RulesFile in load order (the rules_dir files, or the compiled
    file alone in auditctl mode); skipped: [(name, reason)] files the loader ignores;
    compiled: RulesFile of compiled_path or None; kernel: KernelState or None (not asked);
    paths: {path: {"is_dir", "parent_exists": bool, "link": target or None, "parent_id": [st_dev,
    st_ino] of the parent directory, symlinks followed, or None}} for watched paths;
    names: {("user" or "group", name): id, or False when it does not resolve on the host};
    awk: the awk augenrules runs with (gawk or mawk: they compile indented lines differently);
    audit_version: (major, minor, patch) from ``auditctl -v``, or None (audit_versions.py);
    boot: the kernel command lines (audit_host.boot_cmdlines, judged by audit_boot), or None (not read);
    module_tools: insmod/rmmod/modprobe as they resolve here (audit_host.module_tools);
    ls_version: (major, minor) of the coreutils ls augenrules orders rules.d with, or None
    (audit_host.ls_version; audit_ruleset.augenrules_order).
    """

    FIELDS = ("machine", "mode", "rules_dir", "files", "skipped", "compiled_path", "compiled", "kernel", "paths",
              "mode_evidence", "names", "awk", "audit_version", "boot", "module_tools", "ls_version")

    def __init__(self, machine, *, mode="augenrules", rules_dir=R.DEFAULT_RULES_DIR, files=(), skipped=(),
                 compiled_path=R.DEFAULT_COMPILED_FILE, compiled=None, kernel=None, paths=None,
                 mode_evidence=None, names=None, awk="gawk", audit_version=None, boot=None,
                 module_tools=None, ls_version=None):
        self.machine = machine
        self.mode = mode
        self.mode_evidence = mode_evidence
        self.rules_dir = rules_dir
        self.files = list(files)
        self.skipped = list(skipped)
        self.compiled_path = compiled_path
        self.compiled = compiled
        self.kernel = kernel
        self.paths = paths or {}
        self.names = names or {}
        self.awk = awk
        self.audit_version = audit_version
        self.boot = boot
        self.module_tools = module_tools or []
        self.ls_version = ls_version

    def replace(self, **changes):
        """A new Snapshot with the same facts except ``changes`` (field=value)."""
        unknown = sorted(set(changes) - set(self.FIELDS))
        if unknown:
            raise TypeError("Snapshot has no field %s" % ", ".join(unknown))
        values = dict((name, getattr(self, name)) for name in self.FIELDS)
        values.update(changes)
        return Snapshot(**values)

    def is_dir(self, path):
        return bool(self.paths.get(path, {}).get("is_dir"))

    def host_problem(self, rule):
        """Why this host's kernel refuses a rule that parses: a path whose directory does not
        exist (No such file or directory) or a user or group name auditctl cannot resolve."""
        for path, needs in rule_paths(rule):
            facts = self.paths.get(path)
            if facts is None:
                continue
            if needs == "dir" and not facts.get("is_dir"):
                return "dir=%s: no such directory here (the kernel refuses it: No such file or directory)" % path
            if needs == "parent" and not facts.get("parent_exists"):
                return ("%s: its directory does not exist here (the kernel refuses it: No such file or directory)"
                        % path)
        for kind, name in rule_names(rule):
            if self.names.get((kind, name)) is False:
                return "unknown %s %s on this host (auditctl: Unknown %s)" % (kind, name, kind)
        return self._version_problem(rule)

    def _version_problem(self, rule):
        """Why this host's auditctl version refuses a rule the baseline (3.0.9) accepts."""
        if self.audit_version is None:
            return None
        table = None
        if rule.syscalls:
            try:
                table = S.canonical(rule, self.machine, self.is_dir).table
            except AuditRuleError:
                pass  # the rule is refused anyway, with the engine's own reason
        return V.refusal(self.audit_version, rule, table)

    def compile(self):
        """The compiled file augenrules would write from the files (CompiledLine list)."""
        return R.compile_augenrules(self.files, self.rules_dir, self.awk,
                                    strip_cr=V.has(self.audit_version, "augenrules_strips_cr"))

    def load_items(self):
        """[(Location, Line or AuditRuleError)] in the order auditctl -R reads them."""
        if self.mode == "auditctl":
            return [item for rules_file in self.files for item in rules_file.items]
        compiled = self.compile()
        return [(line.source, line.item) for line in compiled if line.item is not None]


# --- the host facts a rule needs ------------------------------------------------------------------

def rule_paths(rule):
    """[(path, what must exist)] of a rule: "dir" for dir=, "parent" for watches, path= and exe=."""
    paths = [(rule.watch, "parent")] if rule.is_watch else []
    for field in rule.fields:
        if field.name in ("path", "exe"):
            paths.append((field.value, "parent"))
        elif field.name == "dir":
            paths.append((field.value, "dir"))
    return paths


ID_KINDS = {"uid": "user", "gid": "group"}


def rule_names(rule):
    """[("user" or "group", name)] for uid/gid fields still written as names."""
    return [(ID_KINDS[F.FIELDS[f.name].kind], f.value) for f in rule.fields
            if F.FIELDS[f.name].kind in ID_KINDS and isinstance(f.value, str)]


def file_rules(files):
    """Every parsed rule (AuditRule) of some RulesFiles."""
    return [item for rules_file in files for _location, item in rules_file.items
            if getattr(item, "kind", None) == "rule"]


def watched_paths(files):
    """Every path a rule watches or filters on, so the I/O layer can stat them."""
    return sorted(set(path for rule in file_rules(files) for path, _needs in rule_paths(rule)))


def apply_names(rules, names):
    """Replace user and group names in uid/gid fields by their numbers, from the host facts
    ``names`` ({(kind, name): id, or False when the name does not resolve})."""
    for rule in rules:
        for field in rule.fields:
            kind = ID_KINDS.get(F.FIELDS[field.name].kind)
            number = names.get((kind, field.value)) if kind and isinstance(field.value, str) else None
            if number is not None and number is not False:
                field.value = number
                rule.forget_canonical()


# --- what the facts say about watched paths --------------------------------------------------------

def symlinked(rule, paths):
    """[(path, target)] for the watched or path= files of a rule that are symlinks on the host."""
    watched = [rule.watch] if rule.is_watch else [f.value for f in rule.fields if f.name == "path"]
    return [(path, paths[path]["link"]) for path in watched if paths.get(path, {}).get("link")]


def same_entry_paths(path, paths):
    """Other known paths that name the same directory entry as ``path`` on this host: the same
    file name in parent directories that resolve to the same inode. The kernel keeps a watch
    (-w, -F path=) as that parent inode plus the name, so on a merged-/usr host (/sbin ->
    usr/sbin) ``-w /sbin/insmod`` and ``-w /usr/sbin/insmod`` watch the same thing."""
    parent_id = paths.get(path, {}).get("parent_id")
    if not parent_id:
        return []
    name = posixpath.basename(path.rstrip("/"))
    return sorted(other for other, facts in paths.items()
                  if other != path and facts.get("parent_id") == parent_id
                  and posixpath.basename(other.rstrip("/")) == name)
