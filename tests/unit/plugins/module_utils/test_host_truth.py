# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host facts beyond the rules files (issue 24), as hidden-corpus-style cases: a layout plus the
host's facts -> the verdict. The expected verdicts are written out here, never computed by the
code under test. The host I/O readers of those facts are tested on real temporary files."""
import os
import tarfile

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N

MACHINE = "x86_64"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
VENDOR = os.environ.get("AUDIT_USERSPACE_SRC") or os.path.join(ROOT, "..", "shared", "vendor", "audit-userspace")


def _snapshot(text, **facts):
    return N.Snapshot(MACHINE, mode="auditctl", rules_dir="/r", files=[R.RulesFile("/r/audit.rules", text)],
                      compiled_path="/r/audit.rules", **facts)


def control_verdicts(profile, text, uid_min=None, **facts):
    """{control ID: (status, notes)} of ``profile`` on a host whose rules file is ``text``."""
    controls = PF.select(profile)
    rules, notes = PF.control_rules(profile, controls, MACHINE, uid_min=uid_min)
    parsed = Q.parse_requirements([r.text for r in rules], MACHINE)
    for requirement, rule in zip(parsed, rules):
        requirement.catalog_controls, requirement.advisory = (rule.control,), rule.advisory
    result = E.evaluate(_snapshot(text, **facts), parsed)
    verdicts = PF.control_verdicts(controls, result["requirements"], notes)
    return dict((v["id"], (v["status"], v["notes"])) for v in verdicts)


# --- item 1: UID_MIN per host --------------------------------------------------------------------

CIS_RHEL9_AT = ("-a always,exit -F arch=b64 -S init_module,finit_module,delete_module,create_module,query_module "
                "-F auid>={uid} -F auid!=unset -k kernel_modules\n"
                "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>={uid} -F auid!=unset -k kernel_modules\n")
RHEL9_STIG_INIT = ("-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k m\n"
                   "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k m\n")


@pytest.mark.parametrize("host_uid_min, rules_uid, status", [
    (5000, 5000, "pass"),   # the benchmark's own rules on a UID_MIN 5000 host
    (5000, 1000, "fail"),   # broader than the text asks: strict matching wants the host's value
    (500, 1000, "fail"),    # uids 500-999 unaudited
    (500, 500, "pass"),
    (1000, 1000, "pass"),
    (None, 1000, "pass"),   # no login.defs value: the default 1000
    (None, 5000, "fail"),
])
def test_cis_control_takes_the_hosts_uid_min(host_uid_min, rules_uid, status):
    uid_min = PF.UidMin(host_uid_min, "/etc/login.defs: UID_MIN %d" % host_uid_min) if host_uid_min else None
    verdicts = control_verdicts("cis_rhel9", CIS_RHEL9_AT.format(uid=rules_uid), uid_min)
    got, notes = verdicts["CIS 6.3.3.19"]
    assert got == status
    assert notes[0] == ("auid>=%d: this host's UID_MIN (%s)" % (host_uid_min, uid_min.source) if uid_min
                        else "auid>=1000: this host's UID_MIN (default (no UID_MIN in /etc/login.defs))")


@pytest.mark.parametrize("profile", ["cis_al2023", "cis_rhel7", "cis_rhel8", "cis_ubuntu2204"])
def test_every_cis_profile_with_an_auid_filter_writes_the_hosts_value(profile):
    rules, _notes = PF.profile_rules(profile, MACHINE, uid_min=PF.UidMin(5000, "t"))
    filtered = [r.text for r in rules if "auid>=" in r.text]
    assert filtered and all("auid>=5000 " in text for text in filtered)


def test_stig_control_keeps_its_fixed_1000_and_says_the_host_differs():
    verdicts = control_verdicts("stig_rhel9", RHEL9_STIG_INIT, PF.UidMin(500, "/etc/login.defs: UID_MIN 500"))
    status, notes = verdicts["V-258190"]
    assert status == "pass"
    assert notes == ["auid>=1000 is fixed by the benchmark's text; this host's UID_MIN is 500 "
                     "(/etc/login.defs: UID_MIN 500)"]
    rules, _notes = PF.profile_rules("stig_rhel9", MACHINE, uid_min=PF.UidMin(5000, "t"))
    assert all("auid>=1000 " in r.text for r in rules if "auid>=" in r.text)
    assert control_verdicts("stig_rhel9", RHEL9_STIG_INIT, PF.UidMin(1000, "x"))["V-258190"][1] == []


@pytest.mark.parametrize("text, value, source", [
    ("# comment\nUID_MIN\t\t\t 5000\nUID_MAX 60000\n", 5000, "UID_MIN 5000"),
    ("UID_MIN 500\nUID_MIN 600\n", 600, "UID_MIN 600"),       # the last line wins (shadow's getdef)
    ("UID_MIN 0x3e8\n", 1000, "UID_MIN 0x3e8"),
    ("#UID_MIN 500\nUID_MAX 6\n", None, "has no UID_MIN"),
    ("UID_MIN lots\n", None, "UID_MIN lots is not a uid"),
    ("UID_MIN 4294967295\n", None, "is not a uid"),
])
def test_login_defs_uid_min(tmp_path, text, value, source):
    path = tmp_path / "login.defs"
    path.write_text(text)
    got, where = H.login_defs_uid_min(str(path))
    assert got == value and source in where and str(path) in where


def test_login_defs_missing(tmp_path):
    got, where = H.login_defs_uid_min(str(tmp_path / "none"))
    assert got is None and "No such file" in where


# --- item 2: the kernel command line ---------------------------------------------------------------

KMOD_STIG = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules\n"
GOOD = "BOOT_IMAGE=/vmlinuz-6.1 root=/dev/sda1 ro audit=1 audit_backlog_limit=8192"


def _boot(running, *configured):
    return {"running": {"source": "/proc/cmdline", "cmdline": running} if running is not None else None,
            "configured": [{"source": source, "cmdline": line} for source, line in configured], "unreadable": []}


def _cmdline_findings(boot, text=KMOD_STIG):
    result = E.evaluate(_snapshot(text, boot=boot), Q.parse_requirements([KMOD_STIG.strip()], MACHINE))
    return result["requirements"][0]["status"], [(f["severity"], f["file"], f["message"]) for f in result["findings"]
                                                 if f["kind"] == "kernel_cmdline"]


def test_audit_0_on_the_running_kernel_is_an_error_beside_a_passing_rule():
    status, found = _cmdline_findings(_boot("ro quiet audit=0 audit_backlog_limit=8192"))
    assert status == "pass"  # the rule is right; the finding says why it records nothing
    assert found == [("error", "/proc/cmdline", "running kernel (/proc/cmdline): audit=0: auditing is off, the kernel "
                      "records nothing whatever the rules say (audit 4's audit-rules.service does not run either)")]


@pytest.mark.parametrize("running, expected", [
    (GOOD, []),
    ("ro audit=1 audit_backlog_limit=8192 audit=off", [("error", "audit=off: auditing is off")]),  # the last wins
    ("ro audit=0 audit=1 audit_backlog_limit=65536", []),
    ("ro audit_backlog_limit=8192", [("warning", "no audit=1: processes started before auditd")]),
    ("ro audit=1", [("warning", "no audit_backlog_limit: the kernel's default backlog (64)")]),
    ("ro audit=1 audit_backlog_limit=320", [("warning", "audit_backlog_limit=320 is below 8192")]),
    ("ro audit=yes audit_backlog_limit=8192", [("warning", "audit=yes is not a value the kernel reads")]),
    ('ro "quoted audit=0" audit=1 audit_backlog_limit=8192', []),  # inside quotes: one word, not audit=
    ("ro audit=1 audit_backlog_limit=8192 -- audit=0", []),  # after --: init's arguments
])
def test_running_command_line_cases(running, expected):
    _status, found = _cmdline_findings(_boot(running))
    assert len(found) == len(expected)
    for (severity, _file, message), (want_severity, want_text) in zip(found, expected):
        assert severity == want_severity and message.startswith("running kernel (/proc/cmdline): " + want_text)


def test_next_boot_entries_are_judged_each_with_its_source():
    _status, found = _cmdline_findings(_boot(GOOD, ("grubby --info=ALL: kernel=/boot/vmlinuz-6.2", "ro audit=0"),
                                             ("/etc/default/grub (GRUB_CMDLINE_LINUX, _DEFAULT)", GOOD)))
    assert [(s, f) for s, f, _m in found] == [("error", "grubby --info=ALL: kernel=/boot/vmlinuz-6.2")]
    assert found[0][2].startswith("next boot (grubby --info=ALL: kernel=/boot/vmlinuz-6.2): audit=0: auditing is off")


def test_no_boot_facts_no_findings():
    assert _cmdline_findings(None)[1] == []


class FakeModule(object):
    def __init__(self, grubby=None, out="", rc=0):
        self.grubby, self.out, self.rc, self.calls = grubby, out, rc, []

    def get_bin_path(self, name, opt_dirs=None):
        return self.grubby if name == "grubby" else None

    def run_command(self, argv):
        self.calls.append(argv)
        return self.rc, self.out, ""


def test_boot_loader_command_lines_are_read_from_grubby_and_default_grub(tmp_path, monkeypatch):
    grub = tmp_path / "grub"
    grub.write_text('GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="crashkernel=auto audit=0"\nGRUB_CMDLINE_LINUX_DEFAULT=\'quiet\'\n')
    monkeypatch.setattr(H, "DEFAULT_GRUB", str(grub))
    out = ('index=0\nkernel="/boot/vmlinuz-5.14"\nargs="ro audit=1 audit_backlog_limit=8192"\nroot="/dev/x"\n'
           'index=1\nkernel="/boot/vmlinuz-0-rescue"\nargs="ro"\n')
    module = FakeModule("/usr/sbin/grubby", out)
    boot = H.boot_cmdlines(module)
    assert module.calls == [["/usr/sbin/grubby", "--info=ALL"]]
    assert boot["running"]["source"] == "/proc/cmdline" and boot["running"]["cmdline"]
    assert boot["configured"] == [
        {"source": "grubby --info=ALL: kernel=/boot/vmlinuz-5.14", "cmdline": "ro audit=1 audit_backlog_limit=8192"},
        {"source": "grubby --info=ALL: kernel=/boot/vmlinuz-0-rescue", "cmdline": "ro"},
        {"source": "%s (GRUB_CMDLINE_LINUX, _DEFAULT)" % grub, "cmdline": "crashkernel=auto audit=0 quiet"}]


def test_boot_loader_entries_without_grubby(tmp_path, monkeypatch):
    entries = tmp_path / "entries"
    entries.mkdir()
    (entries / "a-6.1.conf").write_text("title Linux\nlinux /vmlinuz\noptions root=UUID=1 ro audit=0\n")
    (entries / "notes.txt").write_text("options audit=1\n")
    monkeypatch.setattr(H, "BLS_ENTRIES", str(entries))
    monkeypatch.setattr(H, "DEFAULT_GRUB", str(tmp_path / "absent"))
    boot = H.boot_cmdlines(FakeModule())
    assert boot["configured"] == [{"source": str(entries / "a-6.1.conf"), "cmdline": "root=UUID=1 ro audit=0"}]
    failing = H.boot_cmdlines(FakeModule("/usr/sbin/grubby", "", rc=1))
    assert failing["configured"] == [] and failing["unreadable"][0].startswith("/usr/sbin/grubby: grubby --info=ALL failed")


# --- item 3: the loader, from the units each audit version installs ---------------------------------

def _version_units(version):
    """{unit: text} of an audit release's init.d, rendered as distributions install them."""
    tarball = "%s/audit-userspace-%s.tar.gz" % (VENDOR, version)
    try:
        archive = tarfile.open(tarball)
    except (IOError, OSError):
        pytest.skip("no vendored tarball %s (../shared/vendor/audit-userspace is not in this clone)" % tarball)
    units = {}
    with archive:
        for member in archive.getmembers():
            name = member.name.split("/")[-1]
            if "/init.d/" in member.name and name.endswith((".service", ".service.in")):
                text = archive.extractfile(member).read().decode("utf-8")
                units[name[:-3] if name.endswith(".in") else name] = (
                    text.replace("@sbindir@", "/sbin").replace("@sysconfdir@", "/etc"))
    return units


@pytest.fixture
def unit_root(tmp_path, monkeypatch):
    dirs = tuple(str(tmp_path / d.strip("/")) for d in H.UNIT_DIRS)
    monkeypatch.setattr(H, "UNIT_DIRS", dirs)
    monkeypatch.setattr(H, "SYSCONFIG", str(tmp_path / "sysconfig-auditd"))
    return dirs


def _install(directory, units):
    os.makedirs(directory, exist_ok=True)
    for name, text in units.items():
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(text)


@pytest.mark.parametrize("version, unit, line", [
    ("2.8.5", "auditd.service", "ExecStartPost=-/sbin/augenrules --load"),
    ("3.0.6", "auditd.service", "ExecStartPost=-/sbin/augenrules --load"),
    ("3.0.7", "auditd.service", "ExecStartPost=-/sbin/augenrules --load"),
    ("3.1.2", "auditd.service", "ExecStartPost=-/sbin/augenrules --load"),
    ("3.1.5", "auditd.service", "ExecStartPost=-/sbin/augenrules --load"),
    ("4.0.3", "audit-rules.service", "ExecStart=/sbin/augenrules --load"),
])
def test_loader_from_the_units_each_audit_version_installs(unit_root, version, unit, line):
    units = _version_units(version)
    assert ("audit-rules.service" in units) == (version == "4.0.3")
    _install(unit_root[2], units)  # /usr/lib/systemd/system
    mode, evidence = H.detect_loader("/etc/audit/rules.d", "/etc/audit/audit.rules")
    assert (mode, evidence) == ("augenrules", "%s/%s: %s" % (unit_root[2], unit, line))


def test_audit_4_loader_overrides_masks_and_resets(unit_root):
    _install(unit_root[2], {"auditd.service": "[Service]\nExecStart=/sbin/auditd\n",
                            "audit-rules.service": "[Service]\nExecStart=/sbin/augenrules --load\n"})
    dropin = os.path.join(unit_root[0], "audit-rules.service.d")
    _install(dropin, {"local.conf": "[Service]\nExecStart=\nExecStart=/sbin/auditctl -R /etc/audit/audit.rules\n"})
    assert H.detect_loader("/etc/audit/rules.d", "/etc/audit/audit.rules") == (
        "auditctl", "%s/local.conf: ExecStart=/sbin/auditctl -R /etc/audit/audit.rules" % dropin)
    os.unlink(os.path.join(dropin, "local.conf"))
    os.symlink("/dev/null", os.path.join(unit_root[0], "audit-rules.service"))  # masked: nothing loads at boot
    _install(unit_root[0], {"auditd.service": "[Service]\nExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules\n"})
    assert H.detect_loader("/etc/audit/rules.d", "/etc/audit/audit.rules")[0] == "auditctl"


# --- item 4: module tools that are not kmod --------------------------------------------------------

KMOD_RULE = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"
COPY = {"tool": "insmod", "path": "/opt/v/insmod", "resolves_to": "/opt/v/insmod", "is_kmod": False, "kmod_copy": True}
LINKED = {"tool": "insmod", "path": "/usr/sbin/insmod", "resolves_to": "/usr/bin/kmod", "is_kmod": True,
          "kmod_copy": False}
BUSYBOX = {"tool": "modprobe", "path": "/usr/local/sbin/modprobe", "resolves_to": "/bin/busybox", "is_kmod": False,
           "kmod_copy": False}


def tool_verdict(profile, control_id, text, tools):
    controls = PF.select(profile, [control_id])
    rules, notes = PF.control_rules(profile, controls, MACHINE)
    extra, tool_notes = PF.module_tool_rules(rules, tools)
    parsed = Q.parse_requirements([r.text for r in rules + extra], MACHINE)
    for requirement, rule in zip(parsed, rules + extra):
        requirement.catalog_controls, requirement.advisory = (rule.control,), rule.advisory
    for control, more in tool_notes.items():
        notes.setdefault(control, []).extend(more)
    snapshot = _snapshot(text, module_tools=tools)
    result = E.evaluate(snapshot, parsed)
    verdict = PF.control_verdicts(controls, result["requirements"], notes)[0]
    return verdict["status"], verdict["notes"], [f["message"] for f in result["findings"] if f["kind"] == "module_tool"]


@pytest.mark.parametrize("text, tools, status, findings", [
    (KMOD_RULE + "\n", [LINKED], "pass", 0),
    (KMOD_RULE + "\n", [LINKED, COPY], "fail", 1),  # the copy runs unseen by the kmod rule
    (KMOD_RULE + "\n" + KMOD_RULE.replace("/usr/bin/kmod", "/opt/v/insmod") + "\n", [COPY], "pass", 1),
    (KMOD_RULE + "\n", [BUSYBOX], "fail", 1),
])
def test_kmod_control_with_module_tools_that_are_not_kmod(text, tools, status, findings):
    got, notes, found = tool_verdict("stig_rhel9", "V-258195", text, tools)
    assert (got, len(found)) == (status, findings)
    if not all(t["is_kmod"] for t in tools):
        assert any("is not kmod" in n or "is a copy of kmod" in n for n in notes), notes


def test_a_syscall_control_needs_no_tool_rule_and_a_watch_form_gets_the_manual_step():
    rules, _notes = PF.control_rules("stig_rhel9", PF.select("stig_rhel9", ["V-258190"]), MACHINE)
    assert PF.module_tool_rules(rules, [COPY]) == ([], {})  # the syscall rules record any tool's load
    rules, _notes = PF.control_rules("cis_rhel7_v3", PF.select("cis_rhel7_v3"), MACHINE)
    extra, notes = PF.module_tool_rules(rules, [BUSYBOX])
    assert extra == [] and "manual step" in " ".join(sum(notes.values(), []))
    watched = dict(BUSYBOX, path="/sbin/modprobe", resolves_to="/sbin/modprobe")
    assert PF.module_tool_rules(rules, [watched]) == ([], {})  # its own watch records it


def test_module_tools_are_resolved_from_path_and_the_usual_directories(tmp_path):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    kmod = os.path.realpath("/usr/bin/kmod") if os.path.exists("/usr/bin/kmod") else os.path.realpath("/bin/kmod")
    if not os.path.exists(kmod):
        pytest.skip("kmod is not installed")
    with open(kmod, "rb") as source, open(str(vendor / "insmod"), "wb") as target:
        target.write(source.read())
    (vendor / "insmod").chmod(0o755)
    (vendor / "rmmod").write_text("#!/bin/sh\n")
    (vendor / "rmmod").chmod(0o755)
    (vendor / "modprobe").write_text("not executable\n")
    tools = dict((t["path"], t) for t in H.module_tools(str(vendor)))
    assert tools[str(vendor / "insmod")]["kmod_copy"] and not tools[str(vendor / "insmod")]["is_kmod"]
    assert not tools[str(vendor / "rmmod")]["kmod_copy"] and not tools[str(vendor / "rmmod")]["is_kmod"]
    assert str(vendor / "modprobe") not in tools
    linked = [t for t in tools.values() if t["path"] in ("/usr/sbin/modprobe", "/sbin/modprobe")]
    assert linked and all(t["is_kmod"] for t in linked)  # Debian's: a link to kmod


# --- item 5: immutable hosts ----------------------------------------------------------------------

KMOD_LISTED = "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules"


@pytest.mark.parametrize("files, listing, enabled, reboot", [
    (KMOD_STIG, "No rules\n", 2, True),            # files right, locked kernel without them: reboot
    (KMOD_STIG, KMOD_LISTED + "\n", 2, False),     # after the reboot: loaded and locked
    ("-D\n", "No rules\n", 2, False),              # files wrong: fix them first, a reboot would not help
    (KMOD_STIG, "No rules\n", 1, False),           # not locked: a load is enough
])
def test_reboot_required_only_when_the_files_are_right_and_the_locked_kernel_lacks_them(
        files, listing, enabled, reboot):
    kernel = N.KernelState(listing=listing, status={"enabled": enabled})
    result = E.evaluate(_snapshot(files, kernel=kernel), Q.parse_requirements([KMOD_STIG.strip()], MACHINE))
    assert result["reboot_required"] is reboot
    found = [f for f in result["findings"] if f["kind"] == "reboot_required"]
    assert len(found) == (1 if reboot else 0)
    if reboot:
        assert found[0]["message"].startswith("the kernel's audit rules are locked (enabled 2, -e 2) and lack 1 ")


# the reboot step of reboot.yml as registered (judge before, ansible.builtin.reboot, judge after) -> the
# remediation record's reboot and the host-fact line every format shows
JUDGED_FAIL = {"reboot_required": True, "controls": [{"id": "V-281126", "status": "fail"}]}
JUDGED_PASS = {"reboot_required": False, "controls": [{"id": "V-281126", "status": "pass"}]}
SKIPPED = {"skipped": True, "changed": False}


@pytest.mark.parametrize("before, rebooted, after, record, line", [
    (JUDGED_FAIL, {"rebooted": True, "changed": True}, JUDGED_PASS,
     {"required": True, "rebooted": True, "before": {"V-281126": "fail"}, "after": {"V-281126": "pass"}},
     "reboot: rebooted (auditkit_reboot_ok); before: V-281126 fail; after: V-281126 pass"),
    (JUDGED_PASS, SKIPPED, SKIPPED, {"required": False, "rebooted": False, "before": {"V-281126": "pass"}, "after": None},
     None),
    (None, None, None, None, None),  # auditkit_reboot_ok false: reboot.yml did not run
])
def test_reboot_record_in_the_remediation_record_and_the_host_facts(before, rebooted, after, record, line):
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_host_facts as HF
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_remediation as RR

    report = {"hosts": [{"name": "locked", "findings": [], "remediation": {"changed": True, "error": None, "load": {}}}]}
    host = RR.with_reboots(report, {"locked": (before, rebooted, after)})["hosts"][0]
    assert host["remediation"].get("reboot") == record
    assert [f for f in HF.host_facts(host) if f.startswith("reboot:")] == ([line] if line else [])
