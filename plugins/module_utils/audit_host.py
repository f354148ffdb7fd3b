# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host I/O of auditkit.auditd (private): the only module_utils that touch the system.

Reads rules files in augenrules order, detects how auditd loads its rules, asks the kernel
with ``auditctl -s``/``-l``, stats watched paths, locks the rules directory and writes files
atomically. Commands always run as argument lists through ``module.run_command``: nothing
reaches a shell.
"""

import errno
import fcntl
import grp
import os
import pwd
import re
import stat
import tempfile
from collections import namedtuple
from contextlib import contextmanager

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_versions as V

# systemd's unit directories, highest precedence first
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
SYSTEMD_UNITS = tuple(os.path.join(d, "auditd.service") for d in UNIT_DIRS)
SYSCONFIG = "/etc/sysconfig/auditd"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a rules file larger than this is reported, not parsed


class HostError(Exception):
    """A host problem the module reports as a failure (path and cause in the message)."""


# --- reading -----------------------------------------------------------------------------------

def decode(data):
    """(text, invalid_utf8): undecodable bytes survive a round trip through surrogateescape.
    Such text must not leave the module as it is: audit_module.guard() shows those bytes as \\xNN."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def encode(text):
    return text.encode("utf-8", "surrogateescape")


FIFO_PROBLEM = "is a FIFO: not read (augenrules' cat would wait on it for a writer)"


class Budget(object):
    """The max_rules_bytes / max_rules_lines budget of the files one snapshot reads: take()
    raises HostError naming the limit before a file that exceeds it is parsed (the engine's
    memory grows with every line, about 7 KB each)."""

    def __init__(self, params, what):
        self.limits = (("max_rules_bytes", params.get("max_rules_bytes"), "bytes"),
                       ("max_rules_lines", params.get("max_rules_lines"), "lines"))
        self.what, self.used = what, {"bytes": 0, "lines": 0}

    def take(self, path, data):
        self.used["bytes"] += len(data)
        self.used["lines"] += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        for name, limit, unit in self.limits:
            if limit is not None and self.used[unit] > limit:
                raise HostError("%s hold more than %s=%d %s (%d up to and including %s): not judged, nothing "
                                "written or loaded; raise %s or split off what is not audit rules"
                                % (self.what, name, limit, unit, self.used[unit], path, name))


def read_rules_file(path, budget=None):
    """A RulesFile; an unreadable or oversized file becomes a RulesFile with a problem. With a
    Budget, a file beyond it raises HostError before it is parsed."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            return R.RulesFile(path, problem="is a directory: augenrules cannot read it")
        if stat.S_ISFIFO(info.st_mode):
            return R.RulesFile(path, problem=FIFO_PROBLEM)
        if not stat.S_ISREG(info.st_mode):
            return R.RulesFile(path, problem="not a regular file (device, FIFO or socket): not read")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return R.RulesFile(path, problem="larger than %d bytes: not parsed" % MAX_FILE_BYTES)
    except (IOError, OSError) as exc:
        return R.RulesFile(path, problem="cannot read: %s" % (exc.strerror or exc))
    if budget is not None:
        budget.take(path, data)
    text, invalid = decode(data)
    return R.RulesFile(path, text, invalid_utf8=invalid)


def missing_dir_hint(path):
    """Why a directory is missing, from the first part of its path that does not exist: the
    audit package when that is the audit directory of .../audit/rules.d (the package creates it,
    on the host or in an image tree), else that part (an image tree not mounted, a typo)."""
    path = os.path.abspath(path)
    missing = path
    while os.path.dirname(missing) != missing and not os.path.exists(os.path.dirname(missing)):
        missing = os.path.dirname(missing)
    audit_dir = os.path.dirname(path) if os.path.basename(os.path.dirname(path)) == "audit" else None
    if missing in (path, audit_dir) and audit_dir:
        return "is the audit package installed?"
    return "%s does not exist" % missing


# augenrules lists rules.d with this ls (``/bin/ls -1v``), whatever PATH says.
AUGENRULES_LS = "/bin/ls"
LS_VERSION = re.compile(r"GNU coreutils\)\s+(\d+)\.(\d+)")


def ls_version(module):
    """(major, minor) of the GNU coreutils ``/bin/ls`` augenrules sorts rules.d with, or None
    (no such ls, not GNU): keys audit_ruleset.augenrules_order, as version sort changed in 9.1."""
    if not os.path.exists(AUGENRULES_LS):
        return None
    rc, out, _err = module.run_command([AUGENRULES_LS, "--version"])
    match = LS_VERSION.search(out or "") if rc == 0 else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def read_rules_dir(rules_dir, budget=None, ls=None):
    """(RulesFile list in augenrules order, [(name, reason)] skipped); HostError if unreadable
    or beyond ``budget``. ``ls``: the host's ls_version (None: coreutils 9.1's order)."""
    try:
        names = os.listdir(rules_dir)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            raise HostError("rules directory missing: %s (%s): %s"
                            % (rules_dir, exc.strerror or "does not exist", missing_dir_hint(rules_dir)))
        raise HostError("rules_dir %s: %s" % (rules_dir, exc.strerror or exc))
    ordered, skipped = R.augenrules_order(names, ls)
    return [read_rules_file(os.path.join(rules_dir, name), budget) for name in ordered], skipped


def _unit_sources(unit):
    """The unit file systemd uses (the first found in UNIT_DIRS; a mask is /dev/null) and its drop-ins,
    in systemd's override order; each real file once (/lib is /usr/lib on merged-/usr hosts)."""
    found = next((os.path.join(d, unit) for d in UNIT_DIRS if os.path.lexists(os.path.join(d, unit))), None)
    sources = [found] if found else []
    for base in UNIT_DIRS:
        dropins = os.path.join(base, unit + ".d")
        try:
            sources += sorted(os.path.join(dropins, n) for n in os.listdir(dropins) if n.endswith(".conf"))
        except (IOError, OSError):
            continue
    unique, seen = [], set()
    for source in sources:
        if os.path.realpath(source) not in seen:
            seen.add(os.path.realpath(source))
            unique.append(source)
    return unique


def _unit_exec_lines(unit="auditd.service", key="ExecStartPost"):
    """(source, line) of ``key=`` in a unit and its drop-ins, as systemd combines them: an empty
    ``key=`` resets the list."""
    lines = []
    for source in _unit_sources(unit):
        try:
            with open(source, encoding="utf-8", errors="surrogateescape") as handle:
                for text in handle:
                    name, sep, value = text.strip().partition("=")
                    if sep and name.strip() == key:
                        lines = lines + [(source, text.strip())] if value.strip() else []
        except (IOError, OSError):
            continue
    return lines


def _loader_of(lines):
    """("augenrules" or "auditctl", evidence) of the last unit line that loads rules, or None."""
    for source, line in reversed(lines):
        if "augenrules" in line:
            return "augenrules", "%s: %s" % (source, line)
        if re.search(r"auditctl\s+-R", line):
            return "auditctl", "%s: %s" % (source, line)
    return None


def detect_loader(rules_dir, compiled_path):
    """("augenrules" or "auditctl", evidence): how this host loads its rules at boot. From audit
    4.0 audit-rules.service does (ExecStart=augenrules --load; auditd.service only wants it, and
    orders itself before it, so it loads last); before, auditd.service's ExecStartPost."""
    if rules_dir != R.DEFAULT_RULES_DIR or compiled_path != R.DEFAULT_COMPILED_FILE:
        return "augenrules", "rules_dir/compiled_file given: judged as augenrules would compile them"
    found = _loader_of(_unit_exec_lines("audit-rules.service", "ExecStart")) or _loader_of(_unit_exec_lines())
    if found:
        return found
    try:
        with open(SYSCONFIG, encoding="utf-8", errors="surrogateescape") as handle:
            match = re.search(r'^\s*USE_AUGENRULES\s*=\s*"?(\w+)', handle.read(), re.M)
    except (IOError, OSError):
        match = None
    if match:
        mode = "augenrules" if match.group(1).lower() == "yes" else "auditctl"
        return mode, "%s: USE_AUGENRULES=%s" % (SYSCONFIG, match.group(1))
    if os.path.isdir(rules_dir):
        return "augenrules", "no auditd unit found; %s exists" % rules_dir
    return "auditctl", "no auditd unit found and no %s" % rules_dir


def awk_flavour():
    """mawk or gawk: which awk augenrules' program runs with here (they differ on \\s)."""
    for directory in ("/usr/bin", "/bin"):
        awk = os.path.join(directory, "awk")
        if os.path.exists(awk):
            return "mawk" if os.path.basename(os.path.realpath(awk)).startswith("mawk") else "gawk"
    return "gawk"


def os_release(path="/etc/os-release"):
    """The KEY=value pairs of /etc/os-release (empty when absent)."""
    values = {}
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            for line in handle:
                if "=" in line and not line.startswith("#"):
                    key, value = line.rstrip("\n").split("=", 1)
                    values[key] = value.strip().strip('"').strip("'")
    except (IOError, OSError):
        pass
    return values


# --- the kernel command line: running and configured (audit_boot.py judges them) ----------------

PROC_CMDLINE = "/proc/cmdline"
DEFAULT_GRUB = "/etc/default/grub"
BLS_ENTRIES = "/boot/loader/entries"
MAX_BOOT_ENTRIES = 32


def _read_text(path, limit=64 * 1024):
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        return handle.read(limit)


def _grub_defaults(path):
    """GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT of /etc/default/grub (the last
    assignment of each, one level of shell quotes), joined as grub-mkconfig joins them; None if unset."""
    values = {}
    for line in _read_text(path).splitlines():
        match = re.match(r'^\s*(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$', line)
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[match.group(1)] = value
    if not values:
        return None
    return " ".join(v for v in (values.get("GRUB_CMDLINE_LINUX"), values.get("GRUB_CMDLINE_LINUX_DEFAULT")) if v)


def _grubby_entries(module, grubby):
    """[{source, cmdline}] from ``grubby --info=ALL`` (kernel= and args= of each entry)."""
    rc, out, err = module.run_command([grubby, "--info=ALL"])
    if rc != 0:
        raise OSError("grubby --info=ALL failed: %s" % (err or out).strip()[:200])
    entries, kernel = [], None
    for line in out.splitlines():
        key, _sep, value = line.partition("=")
        value = value.strip().strip('"')
        if key == "kernel":
            kernel = value
        elif key == "args":
            entries.append({"source": "grubby --info=ALL: kernel=%s" % kernel, "cmdline": value})
    return entries


def _bls_entries(directory):
    """[{source, cmdline}] from the options lines of Boot Loader Specification entries."""
    entries = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".conf"):
            path = os.path.join(directory, name)
            options = [line.strip()[len("options"):].strip() for line in _read_text(path).splitlines()
                       if line.strip().startswith("options")]
            if options:
                entries.append({"source": path, "cmdline": " ".join(options)})
    return entries


def running_cmdline():
    """The running kernel's command line (/proc/cmdline), or None when it cannot be read."""
    try:
        return _read_text(PROC_CMDLINE).strip()
    except (IOError, OSError):
        return None


def boot_cmdlines(module):
    """The kernel command lines for audit_boot: {"running": {source, cmdline} or None (unreadable),
    "configured": the boot loader's lines (grubby's entries, else the BLS entries; and the
    defaults of /etc/default/grub), "unreadable": [why a source present could not be read]}."""
    boot = {"running": None, "configured": [], "unreadable": []}
    try:
        boot["running"] = {"source": PROC_CMDLINE, "cmdline": _read_text(PROC_CMDLINE).strip()}
    except (IOError, OSError) as exc:
        boot["unreadable"].append("%s: %s" % (PROC_CMDLINE, exc.strerror or exc))
    grubby = module.get_bin_path("grubby", opt_dirs=["/sbin", "/usr/sbin"])
    sources = [("grubby", grubby)] if grubby else []
    sources += [("bls", BLS_ENTRIES)] if not grubby and os.path.isdir(BLS_ENTRIES) else []
    sources += [("grub", DEFAULT_GRUB)] if os.path.exists(DEFAULT_GRUB) else []
    for kind, where in sources:
        try:
            if kind == "grubby":
                boot["configured"] += _grubby_entries(module, where)
            elif kind == "bls":
                boot["configured"] += _bls_entries(where)
            else:
                cmdline = _grub_defaults(where)
                if cmdline is not None:
                    boot["configured"].append({"source": "%s (GRUB_CMDLINE_LINUX, _DEFAULT)" % where,
                                               "cmdline": cmdline})
        except (IOError, OSError) as exc:
            boot["unreadable"].append("%s: %s" % (where, getattr(exc, "strerror", None) or exc))
    boot["configured"] = boot["configured"][:MAX_BOOT_ENTRIES]
    return boot


# --- module tools: what insmod, rmmod and modprobe are on this host ----------------------------------

MODULE_TOOLS = ("insmod", "rmmod", "modprobe")
TOOL_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
KMOD_PATHS = ("/usr/bin/kmod", "/bin/kmod")


def _same_bytes(path, other):
    try:
        if os.path.getsize(path) != os.path.getsize(other):
            return False
        with open(path, "rb") as first, open(other, "rb") as second:
            return first.read() == second.read()
    except (IOError, OSError):
        return False


def module_tools(search_path=None):
    """[{tool, path, resolves_to, is_kmod, kmod_copy}] for each insmod/rmmod/modprobe found in the
    directories of PATH (``search_path``, default the environment's) and the usual ones, each tool once
    per file it resolves to. ``is_kmod``: it resolves to kmod (the kmod path rule records it);
    ``kmod_copy``: a copy of kmod's bytes under another name (it records nothing as kmod)."""
    kmod = next((os.path.realpath(p) for p in KMOD_PATHS if os.path.exists(p)), None)
    entries = (search_path if search_path is not None else os.environ.get("PATH", "")).split(os.pathsep)
    dirs = []
    for directory in [d for d in entries if d.startswith("/")] + list(TOOL_DIRS):
        if directory not in dirs:
            dirs.append(directory)
    tools, seen = [], set()
    for tool in MODULE_TOOLS:
        for directory in dirs:
            path = os.path.join(directory, tool)
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                continue
            real = os.path.realpath(path)
            if (tool, real) in seen:
                continue
            seen.add((tool, real))
            is_kmod = kmod is not None and real == kmod
            tools.append({"tool": tool, "path": path, "resolves_to": real, "is_kmod": is_kmod,
                          "kmod_copy": not is_kmod and kmod is not None and _same_bytes(real, kmod)})
    return tools


LOGIN_DEFS = "/etc/login.defs"


def _login_defs_number(text):
    """A login.defs number as shadow's getdef reads it (strtol base 0: 0x.. hex, 0.. octal), or None."""
    try:
        if text.lower().startswith("0x"):
            return int(text[2:], 16)
        return int(text, 8) if text.startswith("0") and len(text) > 1 else int(text, 10)
    except ValueError:
        return None


def login_defs_uid_min(path=LOGIN_DEFS):
    """(UID_MIN of login.defs or None, where it came from): the last UID_MIN line wins, as in
    shadow's getdef; None when the file, the key or a usable number is absent (the reason says which)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read(1024 * 1024)
    except (IOError, OSError) as exc:
        return None, "%s: %s" % (path, exc.strerror or exc)
    found = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "UID_MIN":
            found = parts[1]
    if found is None:
        return None, "%s has no UID_MIN" % path
    number = _login_defs_number(found.strip("\"'"))
    if number is None or not 0 <= number < 4294967295:
        return None, "%s: UID_MIN %s is not a uid" % (path, found)
    return number, "%s: UID_MIN %s" % (path, found)


def _inode(path):
    """[st_dev, st_ino] of what ``path`` resolves to (symlinks followed), or None."""
    try:
        stat = os.stat(path)
    except (IOError, OSError):
        return None
    return [stat.st_dev, stat.st_ino]


def path_facts(paths):
    facts = {}
    for path in paths:
        link = os.path.realpath(path) if os.path.islink(path) else None
        parent = os.path.dirname(path.rstrip("/")) or "/"
        facts[path] = {"is_dir": os.path.isdir(path), "parent_exists": os.path.isdir(parent), "link": link,
                       "parent_id": _inode(parent)}
    return facts


def _id_of(kind, name):
    try:
        return pwd.getpwnam(name).pw_uid if kind == "user" else grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def resolve_names(rules):
    """Replace user and group names in uid/gid fields by their numbers, as auditctl does before
    the kernel sees them (so ``uid=nobody`` compares equal to the kernel's ``uid=65534``).
    Returns the facts for Snapshot.names (audit_snapshot); names that do not resolve stay names."""
    facts = {}
    for rule in rules:
        for kind, name in N.rule_names(rule):
            if (kind, name) not in facts:
                number = _id_of(kind, name)
                facts[(kind, name)] = False if number is None else number
    N.apply_names(rules, facts)
    return facts


# --- the kernel --------------------------------------------------------------------------------

def _why_unreadable(message):
    if any(text in message for text in ("Operation not permitted", "Permission denied", "must be root")):
        return "no audit capability (CAP_AUDIT_CONTROL): not root, or a container: %s" % message
    if "Protocol not supported" in message or "netlink" in message:
        return "no kernel audit support reachable (no CONFIG_AUDIT, or a container's namespace): %s" % message
    return message or "auditctl failed without a message"


def parse_status(text):
    """``auditctl -s`` output as {name: int or text}."""
    status = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            value = parts[1].strip()
            first = value.split()[0]
            status[parts[0]] = int(first) if first.isdigit() else value
    return status


def auditctl_path(module):
    return module.get_bin_path("auditctl", opt_dirs=["/sbin", "/usr/sbin"])


def auditctl_version(module):
    """(major, minor, patch) that ``auditctl -v`` prints, or None (no auditctl, no answer).
    Keys the version facts of audit_versions.py; needs no root."""
    auditctl = auditctl_path(module)
    if not auditctl:
        return None
    rc, out, err = module.run_command([auditctl, "-v"])
    return V.parse_version(out or err) if rc == 0 else None


def kernel_status(module):
    """``auditctl -s`` as {name: int or text}; empty when it cannot be read."""
    auditctl = auditctl_path(module)
    if not auditctl:
        return {}
    rc, out, _err = module.run_command([auditctl, "-s"])
    return parse_status(out) if rc == 0 else {}


def kernel_state(module):
    """KernelState from ``auditctl -s`` and ``auditctl -l`` (or the reason it is unavailable)."""
    auditctl = auditctl_path(module)
    if not auditctl:
        return N.KernelState(reason="auditctl is not installed (package audit / auditd)")
    if os.geteuid() != 0:
        return N.KernelState(reason="not root: reading the kernel's audit rules needs root (become: true)")
    rc, out, err = module.run_command([auditctl, "-s"])
    if rc != 0:
        return N.KernelState(reason=_why_unreadable((err or out).strip()))
    status = parse_status(out)
    rc, listing, err = module.run_command([auditctl, "-l"])
    if rc != 0:
        return N.KernelState(status=status, reason=_why_unreadable((err or listing).strip()))
    return N.KernelState(listing=listing, status=status)


def snapshot(module, machine, rules_dir, compiled_path, loader="auto", read_kernel=True):
    """Gather an audit_snapshot.Snapshot of the host. A missing rules_dir, or files beyond the
    max_rules_bytes / max_rules_lines budget, is a HostError."""
    if loader == "auto":
        loader, evidence = detect_loader(rules_dir, compiled_path)
    else:
        evidence = "loader=%s given" % loader
    compiled = (read_rules_file(compiled_path, Budget(module.params, "the compiled file %s" % compiled_path))
                if os.path.exists(compiled_path) else None)
    ls = ls_version(module)
    if loader == "auditctl":
        files, skipped = ([compiled] if compiled is not None else []), []
    else:
        files, skipped = read_rules_dir(rules_dir, Budget(module.params, "the *.rules files of %s" % rules_dir), ls)
    kernel = kernel_state(module) if read_kernel else None
    boot = boot_cmdlines(module) if read_kernel else None
    paths = path_facts(N.watched_paths(files))
    names = resolve_names(N.file_rules(files + ([compiled] if compiled is not None else [])))
    return N.Snapshot(machine, mode=loader, rules_dir=rules_dir, files=files, skipped=skipped,
                      compiled_path=compiled_path, compiled=compiled, kernel=kernel, paths=paths,
                      mode_evidence=evidence, names=names, awk=awk_flavour(), audit_version=auditctl_version(module),
                      boot=boot, ls_version=ls)


# --- where the modules work ----------------------------------------------------------------------

RulesTarget = namedtuple("RulesTarget", "loader directory dest")


def rules_target(params, with_dest=False):
    """Where audit_rules and audit_rules_load work, from their options: a RulesTarget of

    loader: the loader option, detected when "auto";
    directory: the real directory of the files that loader reads (rules_dir for augenrules,
      the compiled file's directory for auditctl). Both modules lock it (locked()), so they
      never edit or load the same files at once;
    dest: with ``with_dest``, the real path of the dest option (default: the compiled file
      for auditctl, else rules_dir/audit.rules), a visible *.rules file directly inside
      directory; else None.
    Raises HostError naming what is wrong with dest."""
    loader = params["loader"]
    if loader == "auto":
        loader = detect_loader(params["rules_dir"], params["compiled_file"])[0]
    if loader == "auditctl":
        directory = os.path.dirname(os.path.realpath(params["compiled_file"]))
    else:
        directory = os.path.realpath(params["rules_dir"])
    dest = _checked_dest(params, loader, directory) if with_dest else None
    return RulesTarget(loader, directory, dest)


def _checked_dest(params, loader, directory):
    dest = params["dest"] or (params["compiled_file"] if loader == "auditctl"
                              else os.path.join(params["rules_dir"], "audit.rules"))
    if not dest.endswith(R.RULES_SUFFIX) or os.path.basename(dest).startswith("."):
        raise HostError("dest %s must be a visible *%s file: augenrules reads no other" % (dest, R.RULES_SUFFIX))
    real = os.path.realpath(dest)
    if os.path.dirname(real) != directory:
        raise HostError("dest %s resolves to %s, which is not directly inside %s" % (dest, real, directory))
    if not real.endswith(R.RULES_SUFFIX):
        raise HostError("dest %s is a symlink to %s, which is not a *%s file" % (dest, real, R.RULES_SUFFIX))
    if os.path.isdir(real):
        raise HostError("dest %s is a directory" % real)
    return real


# --- loading -----------------------------------------------------------------------------------

def load_command(module, snapshot):
    """The command that loads ``snapshot``'s rules: ``augenrules --load`` when the host uses
    augenrules with the default paths, else ``auditctl -R`` of the compiled file."""
    if (snapshot.mode == "augenrules" and snapshot.rules_dir == R.DEFAULT_RULES_DIR
            and snapshot.compiled_path == R.DEFAULT_COMPILED_FILE):
        script = module.get_bin_path("augenrules", opt_dirs=["/sbin", "/usr/sbin"])
        if script:
            return [script, "--load"]
    return [auditctl_path(module), "-R", snapshot.compiled_path]


def kernel_listing(module, auditctl):
    """``auditctl -l`` output; HostError when it fails."""
    rc, out, err = module.run_command([auditctl, "-l"])
    if rc != 0:
        raise HostError("auditctl -l failed: %s" % (err or out).strip())
    return out


def restore_kernel_rules(module, auditctl, listing):
    """Load the kernel's previous rules again: -D, -c and the lines of their old ``auditctl -l``
    output ``listing``, through a temporary file and ``auditctl -R``. Returns (restored,
    problem text or "")."""
    fd, path = tempfile.mkstemp(prefix="auditkit-rollback-", suffix=".rules")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("-D\n-c\n" + "".join(rule + "\n" for rule in R.listed_rules(listing)))
        rc, out, err = module.run_command([auditctl, "-R", path])
    finally:
        os.unlink(path)
    if rc == 0:
        return True, ""
    return False, "kernel rules: %s" % (err or out).strip()


# The kernel settings a rollback puts back, in this order (``auditctl -s`` name, option); -e comes
# last so that auditing is switched back on (or off) only once everything else is as before.
RESTORED_SETTINGS = (("backlog_limit", "-b"), ("failure", "-f"), ("rate_limit", "-r"),
                     ("backlog_wait_time", "--backlog_wait_time"), ("loginuid_immutable", "--loginuid-immutable"),
                     ("enabled", "-e"))


def changed_settings(before, after):
    """The RESTORED_SETTINGS whose values differ between two ``auditctl -s`` readings."""
    return [name for name, _option in RESTORED_SETTINGS if name in before and after.get(name) != before[name]]


def _setting_command(auditctl, option, value, now):
    """The auditctl command that sets one setting back, or (None, why it cannot)."""
    if now.get("enabled") == 2:
        return None, "the kernel is now locked (enabled 2) until reboot"
    if option == "--loginuid-immutable":
        if value:
            return [auditctl, option], None
        return None, "a locked login uid cannot be unlocked until reboot"
    if option == "-e" and value not in (0, 1):
        return None, "enabled %s is not set by a rollback" % value
    return [auditctl, option, str(value)], None


def restore_kernel_settings(module, auditctl, before):
    """Set the RESTORED_SETTINGS that differ from ``before`` (``auditctl -s`` before the load)
    back, -e last. Returns (restored ["name value"], not restored ["name value (why)"])."""
    now = kernel_status(module)
    restored, problems = [], []
    for name in changed_settings(before, now):
        option = dict(RESTORED_SETTINGS)[name]
        command, why = _setting_command(auditctl, option, before[name], now)
        if command is not None:
            rc, out, err = module.run_command(command)
            why = None if rc == 0 else (err or out).strip() or "auditctl failed without a message"
        (restored if why is None else problems).append(
            "%s %s" % (name, before[name]) + ("" if why is None else " (%s)" % why))
    return restored, problems


# --- writing -----------------------------------------------------------------------------------

@contextmanager
def locked(directory):
    """Hold an exclusive flock on ``directory`` itself: concurrent runs edit one at a time,
    and no lock file appears among the rules files."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError as exc:
        raise HostError("cannot lock %s: %s" % (directory, exc.strerror))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


TEMP_PREFIX, TEMP_SUFFIX = ".auditkit-", ".tmp"


def remove_stale_temps(directory):
    """Delete temporary files a killed run left behind; call it only while holding the lock,
    when no other run of this collection can be writing one. Returns the names removed."""
    removed = []
    for name in os.listdir(directory):
        if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX):
            try:
                os.unlink(os.path.join(directory, name))
                removed.append(name)
            except OSError:
                continue
    return removed


def backup(module, path):
    """A timestamped copy of ``path`` next to it, readable by its owner only."""
    copy = module.backup_local(path)
    os.chmod(copy, 0o600)
    return copy


def _copy_attributes(module, source, target):
    """Give ``target`` the owner, mode and SELinux context of ``source``."""
    info = os.stat(source)
    os.chmod(target, info.st_mode & 0o7777)
    os.chown(target, info.st_uid, info.st_gid)
    if module.selinux_enabled():
        module.set_context_if_different(target, module.selinux_context(source), False)


def _fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(module, path, text, new_mode=0o600):
    """Replace ``path`` by ``text`` (str or bytes) atomically: a hidden temporary file in the same directory,
    fsync, then rename. Readers see the old or the new file, never a part. An existing file
    keeps its owner, mode and SELinux context; a new one starts as ``new_mode``."""
    directory = os.path.dirname(path)
    data = text if isinstance(text, bytes) else encode(text)
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise HostError("cannot create a temporary file in %s: %s" % (directory, exc.strerror))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            _copy_attributes(module, path, tmp)
        else:
            os.chmod(tmp, new_mode)
        os.rename(tmp, path)
        _fsync_dir(directory)
    except (IOError, OSError) as exc:
        raise HostError("cannot write %s: %s" % (path, _os_reason(exc)))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_targets(paths, directory):
    """{path: the file a rewrite of it writes}: a symlink is written through when it resolves
    inside ``directory`` (the link stays a link); HostError names a link that leads out of it."""
    targets = {}
    for path in paths:
        real = os.path.realpath(path)
        if os.path.islink(path) and os.path.commonpath([real, directory]) != directory:
            raise HostError("%s is a symlink to %s, outside %s: it is not rewritten through the link (edit %s, "
                            "or replace the link by a file); nothing written" % (path, real, directory, real))
        targets[path] = real
    return targets


def undo_step(module, path, existed=None):
    """A step that puts ``path`` back as it is now: its bytes, mode and owner, or no file if
    there is none now (``existed=False``: a file about to be created). A symlink is recorded as
    the link (recreated if something replaced it) and the bytes of the file it leads to.
    Returns a problem text or ""."""
    link = os.readlink(path) if existed is not False and os.path.islink(path) else None
    target = os.path.realpath(path) if link is not None else path
    saved = None
    if existed is not False and os.path.exists(target):
        try:
            info = os.stat(target)
            with open(target, "rb") as handle:
                saved = (handle.read(), info.st_mode & 0o7777, info.st_uid, info.st_gid)
        except (IOError, OSError) as exc:
            raise HostError("cannot read %s before changing it: %s" % (path, _os_reason(exc)))

    def undo():
        try:
            if link is not None and (not os.path.islink(path) or os.readlink(path) != link):
                if os.path.lexists(path):
                    os.unlink(path)
                os.symlink(link, path)
            if saved is None:
                if link is None and os.path.lexists(path):
                    os.unlink(path)
                return ""
            data, mode, uid, gid = saved
            if _read_bytes(target) != data:
                write_atomic(module, target, data)
            os.chown(target, uid, gid)
            os.chmod(target, mode)
        except (IOError, OSError, HostError) as exc:
            return "%s: %s" % (path, exc)
        return ""
    return undo


def _read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _os_reason(exc):
    reasons = {errno.ENOSPC: "no space left on the device", errno.EROFS: "read-only file system",
               errno.EPERM: "operation not permitted (immutable attribute? chattr -i)",
               errno.EACCES: "permission denied"}
    return reasons.get(exc.errno, exc.strerror or str(exc))
