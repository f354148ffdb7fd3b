# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host facts of issue 24 on a platform stand-in (scripts/build_standin_image.sh), through
ansible-playbook over the docker connection: the audit 4.0.3 stand-in (RHEL 10's audit version,
with that version's own systemd units) names audit-rules.service as its loader. A stand-in is
Debian 12, not the platform (/etc/auditkit-standin says so)."""
import json
import os
import subprocess

import pytest

from sandbox import BIN, ROOT, env

IMAGE = "auditkit/standin-rhel10:test"
NAME = "auditkit-i24-standin-rhel10"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="docker needs root here")


def docker(*args):
    return subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)


@pytest.fixture(scope="module")
def rhel10_image():
    built = subprocess.run(["bash", os.path.join(ROOT, "scripts", "build_standin_image.sh"), "rhel10"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert built.returncode == 0, built.stdout[-3000:]
    marker = docker("run", "--rm", "--network", "none", IMAGE, "cat", "/etc/auditkit-standin")
    if "upstream audit 4.0.3" not in marker.stdout or "audit-rules.service loads the rules" not in marker.stdout:
        pytest.skip("the stand-in carries no audit 4.0.3 build or units (no ../shared tarballs): %s"
                    % marker.stdout.strip())
    return IMAGE


@pytest.fixture(scope="module")
def rhel10_standin(rhel10_image):
    docker("rm", "-f", NAME)
    started = docker("run", "-d", "--name", NAME, "--network", "none", IMAGE, "sleep", "infinity")
    assert started.returncode == 0, started.stdout
    yield NAME
    docker("rm", "-f", NAME)


def _play(tmp_path, tasks, *args):
    """ansible-playbook of ``tasks`` on the container with the json callback: the tasks' host results."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": tasks}]))
    (tmp_path / "hosts").write_text("%s ansible_connection=community.docker.docker ansible_python_interpreter=python3\n"
                                    % NAME)
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts"), str(playbook)]
                          + list(args), env=dict(env(), ANSIBLE_STDOUT_CALLBACK="json"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return [task["hosts"][NAME] for task in json.loads(done.stdout)["plays"][0]["tasks"]]


def test_audit_4_standin_names_audit_rules_service_as_its_loader(rhel10_standin, tmp_path):
    info = {"auditkit.auditd.audit_rules_info": {"profile": "stig_rhel10", "loaded": False}}
    result = _play(tmp_path, [info])[0]
    assert result["mode"] == "augenrules"
    assert result["mode_evidence"] == "/usr/lib/systemd/system/audit-rules.service: ExecStart=/sbin/augenrules --load"
    assert result["compiled_file"] == "/etc/audit/audit.rules"
    # the auditd unit of audit 4 loads nothing: what the old detection read is gone
    unit = docker("exec", NAME, "cat", "/lib/systemd/system/auditd.service").stdout
    assert "Wants=audit-rules.service" in unit and "ExecStartPost" not in unit.replace("#ExecStartPost", "")

    # remediate through the role writes the rules file audit-rules.service compiles
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts"),
                          "auditkit.auditd.remediate", "-e", json.dumps({
                              "auditkit_profile": "stig_rhel10", "auditkit_load": False, "auditkit_read_kernel": False})],
                         env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    after = _play(tmp_path, [info])[0]
    assert after["compliant"] and after["mode_evidence"] == result["mode_evidence"], after["summary"]
    assert docker("exec", NAME, "test", "-s", "/etc/audit/rules.d/audit.rules").returncode == 0


# --- item 5: an immutable stand-in host, rebooted only with auditkit_reboot_ok ---------------------------

LOCKED = "i24r-immutable"
# The kernel of a host locked at enabled 2, simulated inside the container (never -e 2 on this machine's
# kernel, which every container shares; the container has no CAP_AUDIT_CONTROL either): this auditctl
# stands in front of the real one, lists the rules the "kernel" took at boot and refuses every change.
LOCKED_AUDITCTL = """#!/bin/sh
case "$1" in
  -v) exec /usr/sbin/auditctl.real -v ;;
  -s) printf 'enabled %s\\nfailure 1\\npid 0\\nrate_limit 0\\nbacklog_limit 8192\\nlost 0\\nbacklog 0\\n' "${AUDITKIT_BOOT_ENABLED:-2}" ;;
  -l) if [ -s /run/auditkit-immutable/kernel.rules ]; then cat /run/auditkit-immutable/kernel.rules; else echo "No rules"; fi ;;
  *) echo "The audit system is in immutable mode, no rule changes allowed" >&2; exit 1 ;;
esac
"""
# PID 1: at each boot, before the -e 2 of the rules, the loader compiles rules.d (augenrules sees enabled 1),
# the "kernel" takes the compiled file once (in /run, a tmpfs that a container restart clears), then systemd runs
LOCKED_BOOT = """#!/bin/sh
if [ ! -e /usr/sbin/auditctl.real ]; then
  mv /usr/sbin/auditctl /usr/sbin/auditctl.real && cp /auditkit-immutable/auditctl /usr/sbin/auditctl
fi
mkdir -p /run/auditkit-immutable
AUDITKIT_BOOT_ENABLED=1 augenrules >/dev/null 2>&1 || true
grep -E '^-[aw] ' /etc/audit/audit.rules > /run/auditkit-immutable/kernel.rules || true
exec /lib/systemd/systemd
"""
# PID 1's start time (clock ticks since the shared kernel booted): changes when the container restarts
START_TIME = "cut -d' ' -f22 /proc/1/stat"


@pytest.fixture(scope="module")
def immutable_standin(rhel10_image, tmp_path_factory):
    scripts = tmp_path_factory.mktemp("immutable")
    for name, text in (("auditctl", LOCKED_AUDITCTL), ("boot", LOCKED_BOOT)):
        (scripts / name).write_text(text)
        (scripts / name).chmod(0o755)
    docker("rm", "-f", LOCKED)
    # --restart always: ansible.builtin.reboot's systemctl reboot ends PID 1 and docker starts it again
    created = docker("create", "--name", LOCKED, "--network", "none", "--restart", "always", "--tmpfs", "/run",
                     "--tmpfs", "/run/lock", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--cap-add", "SYS_ADMIN",
                     rhel10_image, "/auditkit-immutable/boot")
    assert created.returncode == 0, created.stdout
    assert docker("cp", str(scripts) + "/.", LOCKED + ":/auditkit-immutable/").returncode == 0
    assert docker("start", LOCKED).returncode == 0
    yield LOCKED
    docker("rm", "-f", LOCKED)


def _remediate(tmp_path, report_dir, **extra):
    (tmp_path / "locked-hosts").write_text("%s ansible_connection=community.docker.docker ansible_python_interpreter=python3\n"
                                           % LOCKED)
    extra_vars = dict({"auditkit_profile": "stig_rhel10", "auditkit_controls": ["V-281126"],
                       "auditkit_report_dir": str(report_dir)}, **extra)
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "locked-hosts"),
                          "auditkit.auditd.remediate", "-e", json.dumps(extra_vars)],
                         env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:]
    return json.loads((report_dir / "report.json").read_text())["hosts"][0]


def _started():
    started = docker("exec", LOCKED, "sh", "-c", START_TIME)
    assert started.returncode == 0 and started.stdout.strip().isdigit(), started.stdout
    return started.stdout.strip()


def test_immutable_standin_reboots_only_with_reboot_ok_and_passes_after_it(immutable_standin, tmp_path):
    booted = _started()
    # the default (auditkit_reboot_ok false): the files are fixed, the locked kernel is not, nothing reboots
    host = _remediate(tmp_path, tmp_path / "no-reboot")
    assert _started() == booted
    assert host["status"] == "fail" and host["controls"][0]["status"] == "fail", host["controls"]
    assert [f["kind"] for f in host["findings"] if f["kind"] == "reboot_required"] == ["reboot_required"]
    assert "reboot" not in host["remediation"], host["remediation"]
    assert "delete_module" not in docker("exec", LOCKED, "auditctl", "-l").stdout  # the "kernel" took nothing

    # auditkit_reboot_ok: rebooted once, judged again after it, and the record says so in every format
    reboot_vars = {"auditkit_reboot_ok": True, "auditkit_reboot_command": "systemctl reboot",
                   "auditkit_reboot_boot_time_command": START_TIME}
    host = _remediate(tmp_path, tmp_path / "reboot", **reboot_vars)
    assert _started() != booted
    assert host["status"] == "pass", host["controls"]
    assert host["remediation"]["reboot"] == {"required": True, "rebooted": True, "before": {"V-281126": "fail"},
                                             "after": {"V-281126": "pass"}}
    assert not [f for f in host["findings"] if f["kind"] == "reboot_required"], host["findings"]
    assert "delete_module" in docker("exec", LOCKED, "auditctl", "-l").stdout  # taken at the boot
    for name in ("summary.md", "report.csv", "junit.xml", "report.html", LOCKED + ".cklb", LOCKED + ".xccdf.xml",
                 LOCKED + ".hdf.json"):
        text = (tmp_path / "reboot" / name).read_text()
        assert "rebooted (auditkit_reboot_ok); before: V-281126 fail; after: V-281126 pass" in text, name

    # a second run with auditkit_reboot_ok: the kernel has the rules, no reboot
    rebooted = _started()
    host = _remediate(tmp_path, tmp_path / "again", **reboot_vars)
    assert _started() == rebooted
    assert host["remediation"]["reboot"] == {"required": False, "rebooted": False, "before": {"V-281126": "pass"},
                                             "after": None}
