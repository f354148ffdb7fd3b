# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The al2023, rhel9 and rhel8 scenarios after converge, per phase (molecule/<scenario>/molecule.yml):
systemd phase: systemd is PID 1, the audit package installed, auditd enabled but refused by the
kernel, the rules file written and passing on disk, the load handler's honest loaded=false;
kernel phase: the platform's auditctl shows every required rule in this machine's kernel.
On a stand-in (/etc/auditkit-standin) the package is Debian's and the version the marker names."""
import os

import pytest

SCENARIO = os.environ["MOLECULE_SCENARIO_NAME"]
# scenario -> (profile auto must pick, its controls in order, upstream audit version it ships)
EXPECTED = {
    "al2023": ("stig_al2023", ["V-274091", "V-274092", "V-274093"], "3.0.6"),
    "rhel9": ("stig_rhel9", ["V-258189", "V-258190", "V-258195"], "3.1.5"),
    "rhel8": ("stig_rhel8", ["V-230438", "V-230446", "V-230465"], "3.1.2"),
}
PROFILE, CONTROLS, AUDIT_VERSION = EXPECTED[SCENARIO]
# What the kernel must show (auditctl -l of the platform's auditctl), per STIG fix text.
KMOD = "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules"
SYSCALL = "-a always,exit -F arch=%s -S %s -F auid>=1000 -F auid!=-1 -F key=%s"
IN_KERNEL = {
    "al2023": [SYSCALL % (arch, calls, key) for arch in ("b32", "b64")
               for calls, key in (("init_module,finit_module", "module_chng"), ("create_module", "module-change"))],
    "rhel9": [SYSCALL % (arch, calls, "module_chng") for arch in ("b32", "b64")
              for calls in ("init_module,finit_module", "delete_module")],
}
IN_KERNEL["rhel8"] = IN_KERNEL["rhel9"]


def phase(host):
    return host.backend.get_hostname().rsplit("-", 1)[-1]


def standin(host):
    marker = host.file("/etc/auditkit-standin")
    return marker.content_string.strip() if marker.exists else None


def only(host, wanted):
    if phase(host) != wanted:
        pytest.skip("%s phase test" % wanted)


def test_what_ran_is_said(host):
    marker = standin(host)
    if marker is not None:
        target = {"al2023": "Amazon Linux 2023", "rhel9": "RHEL 9", "rhel8": "RHEL 8"}[SCENARIO]
        assert marker.startswith("STAND-IN for %s, not %s" % (target, target))
    print("%s on %s: %s" % (SCENARIO, host.backend.get_hostname(), marker or "real platform image"))


def test_systemd_is_pid_1(host):
    only(host, "systemd")
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), state


def test_audit_package_and_auditd_enabled_but_refused(host):
    only(host, "systemd")
    assert host.package("auditd" if standin(host) else "audit").is_installed
    assert host.run("systemctl is-enabled auditd").stdout.strip() == "enabled"
    # the kernel refuses audit requests from a container's PID namespace: auditd cannot run
    assert not host.service("auditd").is_running
    status = host.run("auditctl -s")
    assert status.rc != 0 and "Operation not permitted" in status.stderr, status


def test_rules_file_written_and_passing_on_disk(host):
    only(host, "systemd")
    rules = host.file("/etc/audit/rules.d/audit.rules")
    assert rules.user == "root" and rules.mode == 0o600
    for control in CONTROLS:
        assert rules.contains("auditkit.auditd: %s" % control), control
    profile = PROFILE if standin(host) else "auto"
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=%s loaded=false" % profile, check=False)
    assert result["profile"]["name"] == PROFILE
    assert [(c["id"], c["status"]) for c in result["controls"]] == [(c, "pass") for c in CONTROLS]


def test_load_says_not_loaded_with_the_reason(host):
    """Through the controller, as the handler runs it: no failure, no claim the kernel took anything."""
    only(host, "systemd")
    result = host.ansible("auditkit.auditd.audit_rules_load", "", check=False)
    assert not result.get("failed"), result
    assert result["loaded"] is False and result["reason"], result
    assert result["changed"] is False


def test_platform_auditctl_version(host):
    only(host, "kernel")
    marker = standin(host)
    version = host.check_output("auditctl -v")
    if marker is None or "Debian's own" not in marker:
        assert version.split()[-1] == AUDIT_VERSION, version


def test_kernel_shows_every_required_rule(host):
    only(host, "kernel")
    listing = host.check_output("auditctl -l").splitlines()
    for rule in IN_KERNEL[SCENARIO] + [KMOD]:
        assert rule in listing, (rule, listing)


def test_drift_check_passes_on_disk_and_in_the_kernel(host):
    only(host, "kernel")
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=%s" % PROFILE, check=False)
    assert result["kernel"]["read"]
    assert [(c["id"], c["status"]) for c in result["controls"]] == [(c, "pass") for c in CONTROLS]
    assert all(r["in_kernel"]["status"] == "covered" for r in result["requirements"])
