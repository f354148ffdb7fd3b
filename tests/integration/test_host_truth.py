# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host facts beyond the rules files (issue 24) through ansible-playbook on a sandbox fleet.
Each local-connection host runs its modules in a mount namespace of its own, with its own
/etc/login.defs (and /proc/cmdline) bind-mounted over the real path (sandbox.bound_interpreter):
the modules read the real paths, as on a managed host."""
import json
import os

import pytest

from sandbox import bound_interpreter, make_fleet, playbook, report_statuses

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts in a mount namespace need root")

CIS_RHEL9 = ("-a always,exit -F arch=b64 -S init_module,finit_module,delete_module,create_module,query_module "
             "-F auid>={uid} -F auid!=unset -k kernel_modules\n"
             "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>={uid} -F auid!=unset -k kernel_modules\n")
CIS_ID = "CIS 6.3.3.19"


def _host(root, name, uid_min, rules_uid, **more_vars):
    login_defs = root / "facts" / name / "login.defs"
    login_defs.parent.mkdir(parents=True)
    login_defs.write_text("# login.defs of %s\nUID_MIN\t\t\t%d\nUID_MAX 60000\n" % (name, uid_min))
    python = bound_interpreter(root / "facts" / name, {"/etc/login.defs": login_defs})
    return {"files": {"audit.rules": CIS_RHEL9.format(uid=rules_uid)},
            "vars": dict({"ansible_python_interpreter": python, "auditkit_profile": "cis_rhel9",
                          "auditkit_compiled_file": str(root / name / "audit.rules"),
                          "auditkit_rules_file": str(root / name / "rules.d" / "audit.rules")}, **more_vars)}


@pytest.fixture
def uid_fleet(tmp_path):
    hosts = {
        "uid-500": _host(tmp_path, "uid-500", 500, 1000),      # uids 500-999 unaudited: fails
        "uid-1000": _host(tmp_path, "uid-1000", 1000, 1000),
        "uid-5000": _host(tmp_path, "uid-5000", 5000, 5000),   # the benchmark's own rules: passes
        "uid-5000-given": _host(tmp_path, "uid-5000-given", 5000, 1000, auditkit_uid_min=1000),
        "stig-500": _host(tmp_path, "stig-500", 500, 1000, auditkit_profile="stig_rhel9",
                          auditkit_controls=["V-258195"]),
    }
    hosts["stig-500"]["files"] = {"audit.rules": "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 "
                                                 "-F auid!=unset -k modules\n"}
    return make_fleet(tmp_path, hosts)


def test_uid_min_per_host_decides_the_cis_verdict_and_remediation_writes_it(uid_fleet):
    run = playbook(uid_fleet, "drift_report", auditkit_report_dir=str(uid_fleet / "before"))
    assert run.returncode == 0, run.stdout
    statuses = report_statuses(uid_fleet / "before")
    assert {h: c.get(CIS_ID, c.get("V-258195"))[0] for h, c in statuses.items()} == {
        "uid-500": "fail", "uid-1000": "pass", "uid-5000": "pass", "uid-5000-given": "pass", "stig-500": "pass"}
    with open(str(uid_fleet / "before" / "report.json")) as handle:
        hosts = dict((h["name"], h) for h in json.load(handle)["hosts"])
    assert hosts["uid-5000"]["profile"]["uid_min"] == 5000
    assert hosts["uid-5000"]["profile"]["uid_min_source"] == "/etc/login.defs: UID_MIN 5000"
    assert hosts["uid-5000"]["controls"][0]["notes"] == ["auid>=5000: this host's UID_MIN (/etc/login.defs: UID_MIN 5000)"]
    assert hosts["uid-5000-given"]["controls"][0]["notes"] == ["auid>=1000: this host's UID_MIN (uid_min=1000 given)"]
    assert hosts["stig-500"]["controls"][0]["notes"] == [
        "auid>=1000 is fixed by the benchmark's text; this host's UID_MIN is 500 (/etc/login.defs: UID_MIN 500)"]
    summary = (uid_fleet / "before" / "summary.md").read_text()
    assert "UID_MIN 500" in summary, summary

    run = playbook(uid_fleet, "remediate", "--limit", "uid-500")
    assert run.returncode == 0, run.stdout
    written = (uid_fleet / "uid-500" / "rules.d" / "audit.rules").read_text()
    assert ("-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=500 -F auid!=unset -k kernel_modules"
            in written), written
    run = playbook(uid_fleet, "drift_report", "--limit", "uid-500", auditkit_report_dir=str(uid_fleet / "after"))
    assert run.returncode == 0, run.stdout
    assert report_statuses(uid_fleet / "after")["uid-500"][CIS_ID][0] == "pass"


# --- item 2: the kernel command line in every report format ------------------------------------------

KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules\n"
AUDIT_OFF = "running kernel (/proc/cmdline): audit=0: auditing is off"


@pytest.fixture
def boot_fleet(tmp_path):
    hosts = {}
    for name, cmdline in (("boot-off", "ro quiet audit=0 audit_backlog_limit=8192"),
                          ("boot-on", "ro quiet audit=1 audit_backlog_limit=8192")):
        proc = tmp_path / "facts" / name / "cmdline"
        proc.parent.mkdir(parents=True)
        proc.write_text(cmdline + "\n")
        hosts[name] = {"files": {"audit.rules": KMOD}, "vars": {
            "ansible_python_interpreter": bound_interpreter(tmp_path / "facts" / name, {"/proc/cmdline": proc}),
            "auditkit_read_kernel": True, "auditkit_compiled_file": str(tmp_path / name / "audit.rules")}}
    return make_fleet(tmp_path, hosts, {"auditkit_profile": "stig_rhel9", "auditkit_controls": ["V-258195"]})


def test_audit_0_is_shown_in_every_report_format(boot_fleet):
    run = playbook(boot_fleet, "drift_report", auditkit_report_dir=str(boot_fleet / "r"))
    assert run.returncode == 0, run.stdout
    report_dir = boot_fleet / "r"
    with open(str(report_dir / "report.json")) as handle:
        hosts = dict((h["name"], h) for h in json.load(handle)["hosts"])
    cmdline = [f for f in hosts["boot-off"]["findings"] if f["kind"] == "kernel_cmdline"]
    assert [(f["severity"], f["file"]) for f in cmdline] == [("error", "/proc/cmdline")]
    assert cmdline[0]["message"].startswith(AUDIT_OFF)
    assert [f for f in hosts["boot-on"]["findings"] if f["kind"] == "kernel_cmdline"] == []
    files = sorted(os.listdir(str(report_dir)))
    written = [name for name in files if name != "report.json"]
    assert {"summary.md", "report.html", "junit.xml", "report.csv", "boot-off.cklb", "boot-off.xccdf.xml",
            "boot-off.hdf.json"} <= set(written), files
    for name in written:  # the fleet's files and boot-off's own; boot-on's own files (checklist, XCCDF, HDF) not
        text = (report_dir / name).read_text()
        assert ("audit=0: auditing is off" in text) == (not name.startswith("boot-on.")), name


# --- item 5: an immutable host without auditkit_reboot_ok ---------------------------------------------

# auditctl of a host locked at enabled 2 whose kernel booted without the new rules (never -e 2 on this
# machine's kernel: the module sees this script at /usr/sbin/auditctl in its own mount namespace)
IMMUTABLE_AUDITCTL = """#!/bin/sh
case "$1" in
  -v) echo "auditctl version 3.0.9" ;;
  -s) printf 'enabled 2\\nfailure 1\\npid 0\\nrate_limit 0\\nbacklog_limit 8192\\nlost 0\\nbacklog 0\\n' ;;
  -l) echo "No rules" ;;
  *) echo "The audit system is in immutable mode, no rule changes allowed" >&2; exit 1 ;;
esac
"""


@pytest.mark.skipif(not os.path.exists("/usr/sbin/auditctl"), reason="no /usr/sbin/auditctl to stand in front of")
def test_immutable_host_without_reboot_ok_is_named_in_the_report_and_not_rebooted(tmp_path):
    fake = tmp_path / "facts" / "auditctl"
    fake.parent.mkdir(parents=True)
    fake.write_text(IMMUTABLE_AUDITCTL)
    fake.chmod(0o755)
    hosts = {"locked": {"files": {"audit.rules": KMOD}, "vars": {
        "ansible_python_interpreter": bound_interpreter(tmp_path / "facts", {"/usr/sbin/auditctl": fake}),
        "auditkit_read_kernel": True, "auditkit_compiled_file": str(tmp_path / "locked" / "audit.rules")}}}
    fleet = make_fleet(tmp_path, hosts, {"auditkit_profile": "stig_rhel9", "auditkit_controls": ["V-258195"]})
    run = playbook(fleet, "remediate")  # auditkit_reboot_ok is false by default: never a reboot
    assert run.returncode == 0, run.stdout
    assert "Judge the files and the locked kernel before a reboot" not in run.stdout, run.stdout  # reboot.yml not run
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "r"))
    assert run.returncode == 0, run.stdout
    host = json.loads((fleet / "r" / "report.json").read_text())["hosts"][0]
    assert host["controls"][0]["status"] == "fail"  # the locked kernel lacks the rule until a reboot
    found = [f for f in host["findings"] if f["kind"] == "reboot_required"]
    assert len(found) == 1 and "only a reboot loads them" in found[0]["message"], host["findings"]
    for name in ("summary.md", "report.csv", "junit.xml", "report.html", "locked.cklb"):
        text = (fleet / "r" / name).read_text()
        assert "locked" in text and "only a reboot loads them" in text, name


COREUTILS_832_LS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                ".build", "coreutils-8.32", "bin", "ls")
KMOD_WATCH = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules\n"
KMOD_NEVER = "-a never,exit -F path=/usr/bin/kmod -F perm=x\n"


@pytest.mark.skipif(not os.access(COREUTILS_832_LS, os.X_OK),
                    reason="no ls of coreutils 8.32 at %s (scripts/setup.sh unpacks Debian 11's package there)"
                    % COREUTILS_832_LS)
def test_each_host_orders_rules_d_by_its_own_ls_and_first_match_follows(tmp_path):
    # ls -v of coreutils 8.32 lists 30-stig.8.rules before 30-stig..rules; 9.1 the other way
    # round. The first rule in load order wins: the never rule defeats the watch only on 9.1.
    files = {"30-stig..rules": KMOD_NEVER, "30-stig.8.rules": KMOD_WATCH}
    hosts = {
        "ls-832": {"files": files, "vars": {"ansible_python_interpreter": bound_interpreter(
            tmp_path / "facts" / "ls-832", {"/bin/ls": COREUTILS_832_LS})}},
        "ls-9": {"files": files},
    }
    fleet = make_fleet(tmp_path, hosts, {"auditkit_profile": "stig_rhel9", "auditkit_controls": ["V-258195"]})
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "r"))
    assert run.returncode == 0, run.stdout
    statuses = report_statuses(fleet / "r")
    assert {host: controls["V-258195"][0] for host, controls in statuses.items()} == {"ls-832": "pass", "ls-9": "fail"}
    reports = dict((h["name"], h) for h in json.loads((fleet / "r" / "report.json").read_text())["hosts"])
    assert any("first match wins" in f["message"] for f in reports["ls-9"]["findings"]), reports["ls-9"]["findings"]
    assert not any("first match wins" in f["message"] for f in reports["ls-832"]["findings"])
