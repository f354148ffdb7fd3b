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
def rhel10_standin():
    built = subprocess.run(["bash", os.path.join(ROOT, "scripts", "build_standin_image.sh"), "rhel10"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert built.returncode == 0, built.stdout[-3000:]
    marker = docker("run", "--rm", "--network", "none", IMAGE, "cat", "/etc/auditkit-standin")
    if "upstream audit 4.0.3" not in marker.stdout or "audit-rules.service loads the rules" not in marker.stdout:
        pytest.skip("the stand-in carries no audit 4.0.3 build or units (no ../shared tarballs): %s"
                    % marker.stdout.strip())
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
