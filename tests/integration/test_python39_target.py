# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules under Python 3.9, the interpreter AL2023 and RHEL 9 ship, for real: a Debian 11
image (scripts/build_image.sh recipe debian11-py39: Python 3.9.2, audit 3.0, coreutils 8.32,
gawk; no network) runs

1. the unit tests with its own python3, against the ansible.module_utils of the controller's
   ansible-core (what AnsiballZ ships to a target), and
2. drift_report, remediate --check, remediate and drift_report through ansible-playbook over
   the docker connection on a fleet of two such containers, with only the variables a user
   sets (the interpreter is discovered, and must be 3.9).
"""
import json
import os
import shutil
import subprocess
import sys

import ansible
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BIN = os.path.dirname(sys.executable)
IMAGE = "auditkit/debian11-py39:test"
PREFIX = "auditkit-py39-"
# Nothing deselected: test_order_matches_ls_v judges the engine by this image's own ls (coreutils
# 8.32, whose version sort the engine follows there, as on RHEL 9 and AL2023).
# tests of the controller's own test tooling, not of code a target runs: the skip summary plugin
# needs pytest's pytester fixture (pytest 6.2+; Debian 11 ships 6.0)
DESELECTED = ["tests/unit/test_skip_summary.py::test_one_line_per_skip_reason_and_the_log",
              "tests/unit/test_skip_summary.py::test_ci_fails_when_shared_is_there_and_its_tests_skipped"]
SEED = {
    "empty": "-D\n-b 8192\n",
    "partial": "-D\n-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n",
}


def docker(*args, **kwargs):
    return subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False, **kwargs)


@pytest.fixture(scope="module")
def image():
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "build_image.sh"), IMAGE, "debian11-py39"], check=True)
    version = docker("run", "--rm", "--network", "none", IMAGE, "python3", "-c",
                     "import sys; print('%d.%d.%d' % sys.version_info[:3])")
    assert version.returncode == 0 and version.stdout.strip().startswith("3.9."), version.stdout
    return IMAGE


def _module_utils_lib(tmp_path):
    """ansible.module_utils of the controller's ansible-core, alone: what a target receives."""
    lib = tmp_path / "ansible-lib"
    (lib / "ansible").mkdir(parents=True)
    (lib / "ansible" / "__init__.py").write_text("")
    shutil.copytree(os.path.join(os.path.dirname(ansible.__file__), "module_utils"),
                    str(lib / "ansible" / "module_utils"), ignore=shutil.ignore_patterns("__pycache__"))
    return lib


def test_unit_tests_under_python39(image, tmp_path):
    mounts = ["-v", "%s:%s:ro" % (ROOT, ROOT), "-v", "%s:/opt/ansible-lib:ro" % _module_utils_lib(tmp_path)]
    if os.path.isdir(SHARED):  # research catalog and audit sources, as on the controller
        mounts += ["-v", "%s:%s:ro" % (SHARED, SHARED)]
    deselect = [arg for test in DESELECTED for arg in ("--deselect", test)]
    done = docker("run", "--rm", "--network", "none", *mounts, "-e", "PYTHONPATH=/opt/ansible-lib",
                  "-e", "PYTHONDONTWRITEBYTECODE=1", "-e", "HYPOTHESIS_STORAGE_DIRECTORY=/tmp/hypothesis",
                  "-w", ROOT, image, "python3", "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                  "tests/unit", *deselect)
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


@pytest.fixture
def py39_fleet(image, tmp_path):
    names = [PREFIX + state for state in SEED]
    for name in names:
        docker("rm", "-f", name)
        started = docker("run", "-d", "--name", name, "--network", "none", image, "sleep", "infinity")
        assert started.returncode == 0, started.stdout
        seeded = docker("exec", "-i", name, "sh", "-c", "cat > /etc/audit/rules.d/10-site.rules",
                        input=SEED[name[len(PREFIX):]])
        assert seeded.returncode == 0, seeded.stdout
    (tmp_path / "hosts.ini").write_text("[py39]\n%s\n[py39:vars]\nansible_connection=community.docker.docker\n"
                                        % "\n".join(names))
    yield tmp_path
    for name in names:
        docker("rm", "-f", name)


def _env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "pytest"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0",
                PATH=BIN + os.pathsep + os.environ["PATH"])


def _playbook(fleet, name, *args, **extra):
    extra = dict({"auditkit_profile": "stig_rhel9", "target": "py39", "auditkit_become": False}, **extra)
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(fleet / "hosts.ini"),
                           "auditkit.auditd." + name, "-e", json.dumps(extra)] + list(args), env=_env(),
                          cwd=str(fleet), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def _statuses(report_dir):
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    return dict((h["name"], set(c["status"] for c in h["controls"])) for h in report["hosts"])


def _rules_files(name):
    listing = docker("exec", name, "sh", "-c", "cd /etc/audit/rules.d && for f in *; do echo \"== $f\"; cat \"$f\"; done")
    assert listing.returncode == 0, listing.stdout
    return listing.stdout


def test_fleet_on_python39_targets(py39_fleet):
    hosts = [PREFIX + state for state in SEED]
    facts = subprocess.run([os.path.join(BIN, "ansible"), "-i", str(py39_fleet / "hosts.ini"), "py39", "-m",
                            "ansible.builtin.setup", "-a", "filter=ansible_python_version"], env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert facts.returncode == 0 and facts.stdout.count('"ansible_python_version": "3.9.2"') == 2, facts.stdout

    before = _playbook(py39_fleet, "drift_report", auditkit_report_dir=str(py39_fleet / "before"))
    assert before.returncode == 0, before.stdout
    statuses = _statuses(str(py39_fleet / "before"))
    assert sorted(statuses) == hosts and all("fail" in s for s in statuses.values()), statuses

    seeded = dict((h, _rules_files(h)) for h in hosts)
    dry = _playbook(py39_fleet, "remediate", "--check", "--diff", auditkit_report_dir=str(py39_fleet / "dry"))
    assert dry.returncode == 0, dry.stdout
    assert dict((h, _rules_files(h)) for h in hosts) == seeded  # check mode wrote nothing

    fixed = _playbook(py39_fleet, "remediate")
    assert fixed.returncode == 0, fixed.stdout
    for host in hosts:
        assert "-S init_module,finit_module" in _rules_files(host)

    after = _playbook(py39_fleet, "drift_report", auditkit_report_dir=str(py39_fleet / "after"))
    assert after.returncode == 0, after.stdout
    assert _statuses(str(py39_fleet / "after")) == dict((h, {"pass"}) for h in hosts), after.stdout
