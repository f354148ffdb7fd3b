# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The profiles added for issue 24 through ansible-playbook on a sandbox fleet: a host holding
its benchmark's own rule lines (read from the excerpts in tests/fixtures/disa/, not from the
catalog) passes every control of drift_report, an empty host fails every one, and remediate
writes what makes the empty host pass. profile auto on containers whose /etc/os-release says
AlmaLinux 9, SLES 15, SLED 15, Ubuntu 20.04 and 24.04 picks their STIGs."""
import json
import os
import re
import subprocess
from xml.etree import ElementTree

import pytest

from sandbox import BIN, ROOT, env, make_fleet, playbook, report_statuses

IMAGE = "auditkit/debian12:test"  # scripts/build_image.sh (make image)

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "disa")
XCCDF = "{http://checklists.nist.gov/xccdf/1.1}"
RULE_LINE = re.compile(r"^\s*(-[aw] .*?)\s*$", re.M)


def _sle15_lines():
    root = ElementTree.parse(os.path.join(FIXTURES, "disa-stig-sle15-v2r7-xccdf-manual.excerpt.xml")).getroot()
    texts = dict((g.get("id"), g.find(XCCDF + "Rule/" + XCCDF + "fixtext").text) for g in root.findall(XCCDF + "Group"))
    return texts, [line for v in sorted(texts) for line in RULE_LINE.findall(texts[v])]


def _ubuntu2404_lines():
    with open(os.path.join(FIXTURES, "ubuntu2404-v1r2-fix-texts.excerpt.json")) as handle:
        texts = json.load(handle)["fix_text"]
    return texts, [line for v in sorted(texts) for line in RULE_LINE.findall(texts[v])]


SLE15, SLE15_LINES = _sle15_lines()
UBUNTU2404, UBUNTU2404_LINES = _ubuntu2404_lines()
HOSTS = {
    "sle-ok": {"files": {"30-stig.rules": "\n".join(SLE15_LINES) + "\n"}, "vars": {"auditkit_profile": "stig_sle15"}},
    "sle-empty": {"vars": {"auditkit_profile": "stig_sle15"}},
    "u24-ok": {"files": {"30-stig.rules": "\n".join(UBUNTU2404_LINES) + "\n"}, "vars": {"auditkit_profile": "stig_ubuntu2404"}},
    "u24-empty": {"vars": {"auditkit_profile": "stig_ubuntu2404"}},
    "r10-empty": {"vars": {"auditkit_profile": "cis_rhel10"}},  # CIS RHEL 10 with its -c line
}


@pytest.fixture
def fleet(tmp_path):
    hosts = json.loads(json.dumps(HOSTS))
    for host in hosts:
        hosts[host]["vars"]["auditkit_compiled_file"] = str(tmp_path / host / "audit.rules")
        hosts[host]["vars"]["auditkit_rules_file"] = str(tmp_path / host / "rules.d" / "audit.rules")
    return make_fleet(tmp_path, hosts)


def _statuses(report_dir):
    return dict((host, dict((c, s) for c, (s, _r) in controls.items())) for host, controls in report_statuses(report_dir).items())


def test_drift_report_passes_the_benchmarks_own_lines_and_fails_an_empty_host(fleet):
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "r"))
    assert run.returncode == 0, run.stdout
    statuses = _statuses(fleet / "r")
    assert statuses["sle-ok"] == dict((v, "pass") for v in SLE15)
    assert statuses["sle-empty"] == dict((v, "fail") for v in SLE15)
    assert statuses["u24-ok"] == dict((v, "pass") for v in UBUNTU2404)
    assert statuses["u24-empty"] == dict((v, "fail") for v in UBUNTU2404)
    assert statuses["r10-empty"] == dict(("CIS 6.3.3.%d" % n, "fail") for n in range(31, 36))
    with open(str(fleet / "r" / "report.json")) as handle:
        catalog = dict((c["catalog_id"], c) for c in json.load(handle)["controls"])
    delete = catalog["stig:sle15:V-234951"]  # the report's IDs, against DISA's excerpt
    assert (delete["stig_id"], delete["rule_id"]) == ("SLES-15-030520", "SV-234951r958412_rule")
    assert catalog["stig:ubuntu2404:V-270805"]["stig_id"] == "UBTU-24-900340"


def test_remediate_check_reports_without_writing_then_remediate_makes_the_empty_hosts_pass(fleet):
    check = playbook(fleet, "remediate", "--check", "--limit", "sle-empty,u24-empty,r10-empty")
    assert check.returncode == 0, check.stdout
    assert not os.path.exists(str(fleet / "sle-empty" / "rules.d" / "audit.rules"))
    run = playbook(fleet, "remediate", "--limit", "sle-empty,u24-empty,r10-empty")
    assert run.returncode == 0, run.stdout
    written = (fleet / "sle-empty" / "rules.d" / "audit.rules").read_text()
    assert "-w /sbin/insmod -p x -k modules" in written
    assert "-c" in (fleet / "r10-empty" / "rules.d" / "audit.rules").read_text().splitlines()
    report = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "r2"))
    assert report.returncode == 0, report.stdout
    statuses = _statuses(fleet / "r2")
    assert set(statuses["sle-empty"].values()) == {"pass"} and set(statuses["u24-empty"].values()) == {"pass"}
    assert statuses["r10-empty"] == dict(("CIS 6.3.3.%d" % n, "pass") for n in range(31, 36))


# /etc/os-release of each container -> the profile auto must pick and one control ID of it
OS_RELEASES = {
    "alma9": ('ID="almalinux"\nVERSION_ID="9.5"\n', "stig_alma9", "V-269466"),
    "sles15": ('ID="sles"\nVERSION_ID="15.6"\n', "stig_sle15", "V-234951"),
    "sled15": ('ID="sled"\nVERSION_ID="15.5"\n', "stig_sle15", "V-234952"),
    "ubuntu2004": ('ID=ubuntu\nVERSION_ID="20.04"\n', "stig_ubuntu2004", "V-238295"),
    "ubuntu2404": ('ID=ubuntu\nVERSION_ID="24.04"\n', "stig_ubuntu2404", "V-270805"),
}


def _docker(*args):
    return subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)


@pytest.fixture(scope="module")
def os_release_containers(tmp_path_factory):
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "build_image.sh")], check=True, stdout=subprocess.DEVNULL)
    names = dict((key, "i24-profiles-auto-%s" % key) for key in OS_RELEASES)
    lines = []
    for key, name in names.items():
        _docker("rm", "-f", name)
        started = _docker("run", "-d", "--name", name, "--network", "none", IMAGE, "sleep", "infinity")
        assert started.returncode == 0, started.stdout
        wrote = _docker("exec", name, "sh", "-c", "rm -f /etc/os-release && printf '%s' > /etc/os-release"
                        % OS_RELEASES[key][0].replace("\n", "\\n"))
        assert wrote.returncode == 0, wrote.stdout
        lines.append("%s ansible_connection=community.docker.docker" % name)
    root = tmp_path_factory.mktemp("os-release")
    (root / "hosts").write_text("\n".join(lines) + "\n")
    yield root, names
    for name in names.values():
        _docker("rm", "-f", name)


def test_profile_auto_picks_the_stig_of_each_os_release(os_release_containers):
    root, names = os_release_containers
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "hosts", "auditkit.auditd.drift_report",
                           "-e", "auditkit_profile=auto", "-e", "auditkit_report_dir=%s" % (root / "r")], env=env(),
                          cwd=str(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          check=False)
    with open(str(root / "r" / "report.json")) as handle:
        hosts = dict((h["name"], h) for h in json.load(handle)["hosts"])
    for key, (_text, profile, control) in OS_RELEASES.items():
        host = hosts[names[key]]
        assert host["profile"]["name"] == profile, (key, host.get("error"), done.stdout)
        assert "/etc/os-release" in host["profile"]["picked_by"]
        assert host["controls"] and control in [c["id"] for c in host["controls"]]
        assert set(c["status"] for c in host["controls"]) == {"fail"}  # nothing written on these hosts
