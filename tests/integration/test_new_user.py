# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a new user meets (issue 25), through ansible-playbook on one shared sandbox fleet: waivers
that follow their host (host_vars, group_vars, extra vars; any --limit order; slices merged), any
catalog ID as a waiver key and a typo refused, --tags values that look like control IDs checked
before anything is judged or written, and auditkit_fail_on_drift failing the hosts that drift."""
import csv
import io
import json
import os
import re
import subprocess

import pytest
import yaml
from sandbox import BIN, DISA_RHEL9, ROOT, env, make_fleet, playbook, report_statuses

NO_KMOD = {"audit.rules": "\n".join(DISA_RHEL9[:4]) + "\n"}  # only V-258195 (kmod) fails
KMOD = "V-258195"  # RHEL-09-654105, SV-258195r1045370_rule
HOST_VARS_WAIVER = "ticket 42: n-kmod2 only"
GROUP_VARS_WAIVER = "EDR covers kmod on the edr group (ticket 43)"
IMAGE = "auditkit/debian12:test"  # scripts/build_image.sh (make image)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """a-ok (compliant, first in inventory order), n-kmod1..3 (kmod rule missing); n-kmod2 has a
    waiver in host_vars, n-kmod3 is in group edr whose group_vars waive by STIG ID in lower case;
    w-stale is compliant in its rules directory with a stale compiled file. The kernel is not read
    (sandbox): every pass is judged on disk only."""
    root = tmp_path_factory.mktemp("newuser")
    make_fleet(root, {"a-ok": {"files": {"audit.rules": "\n".join(DISA_RHEL9) + "\n"}},
                      "n-kmod1": {"files": NO_KMOD}, "n-kmod2": {"files": NO_KMOD}, "n-kmod3": {"files": NO_KMOD},
                      "w-stale": {"files": {"audit.rules": "\n".join(DISA_RHEL9) + "\n"}},
                      "s-never": {"files": {"10-base.rules": "-D\n-a task,never\n",
                                            "audit.rules": "\n".join(DISA_RHEL9) + "\n"}}},
               common={"auditkit_profile": "stig_rhel9"})
    # w-stale: rules written but never compiled (remediate -e auditkit_load=false): the compiled file is the old one
    (root / "w-stale" / "audit.rules").write_text("-D\n-b 8192\n")
    inventory = yaml.safe_load((root / "hosts.yml").read_text())
    inventory["all"]["children"]["edr"] = {"hosts": {"n-kmod3": {}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (root / "host_vars").mkdir()
    (root / "host_vars" / "n-kmod2.yml").write_text(yaml.safe_dump({"auditkit_waivers": {KMOD: HOST_VARS_WAIVER}}))
    (root / "group_vars").mkdir()
    (root / "group_vars" / "edr.yml").write_text(yaml.safe_dump({"auditkit_waivers": {"rhel-09-654105": GROUP_VARS_WAIVER}}))
    return root


def _kmod(report_dir):
    return dict((host, controls[KMOD][0]) for host, controls in report_statuses(report_dir).items())


def _rules_files(fleet):
    return sorted((str(p), p.read_text()) for p in fleet.glob("*/rules.d/*"))


# --- 1. waivers follow their host -----------------------------------------------------------------

@pytest.mark.parametrize("limit", ["n-kmod2,n-kmod1,n-kmod3", "n-kmod1,n-kmod3,n-kmod2"])
def test_each_host_has_its_own_waivers_whatever_the_limit_order(fleet, limit):
    """The host_vars waiver of n-kmod2 and the group_vars waiver of n-kmod3 waive only those
    hosts; n-kmod1 (the host the report task runs for) keeps its failure."""
    out = fleet / ("limit-" + limit.replace(",", "_"))
    run = playbook(fleet, "drift_report", "--limit", limit, auditkit_report_dir=str(out))
    assert run.returncode == 0, run.stdout  # a failing control fails no host without auditkit_fail_on_drift
    assert _kmod(out) == {"n-kmod1": "fail", "n-kmod2": "waived", "n-kmod3": "waived"}
    report = json.loads((out / "report.json").read_text())
    assert report["waivers"] == {"n-kmod2": {KMOD: HOST_VARS_WAIVER}, "n-kmod3": {"rhel-09-654105": GROUP_VARS_WAIVER}}
    rows = dict((h["name"], [c for c in h["controls"] if c["id"] == KMOD][0]) for h in report["hosts"])
    assert rows["n-kmod2"]["waiver"] == HOST_VARS_WAIVER and "host n-kmod2" in rows["n-kmod2"]["waiver_scope"]
    assert rows["n-kmod1"]["waiver"] is None and rows["n-kmod1"]["waiver_scope"] is None
    # every format names the waiver's host scope beside its justification
    scope = "%s [waiver for host n-kmod2 (auditkit_waivers key %s)]" % (HOST_VARS_WAIVER, KMOD)
    for name in ("summary.md", "report.csv", "junit.xml", "report.html", "n-kmod2.cklb"):
        assert scope in (out / name).read_text(), name
    assert "n-kmod2" not in (out / "n-kmod3.cklb").read_text().replace("n-kmod3", "")


def test_a_host_alone_gets_its_own_waivers_and_no_other(fleet):
    out = fleet / "limit-kmod1"
    run = playbook(fleet, "drift_report", "--limit", "n-kmod1", auditkit_report_dir=str(out))
    assert run.returncode == 0 and _kmod(out) == {"n-kmod1": "fail"}


def test_extra_vars_waivers_apply_to_every_host_by_their_rule_id(fleet):
    """Extra vars outrank host_vars: every host is waived, by an SV- rule ID (item 6)."""
    out = fleet / "extra"
    run = playbook(fleet, "drift_report", "--limit", "n-kmod1,n-kmod2", auditkit_report_dir=str(out),
                   auditkit_waivers={"SV-258195r1045370_rule": "site-wide exception SEC-7"})
    assert run.returncode == 0, run.stdout
    assert _kmod(out) == {"n-kmod1": "waived", "n-kmod2": "waived"}
    assert "site-wide exception SEC-7 [waiver for host n-kmod1" in (out / "summary.md").read_text()


def test_slices_merged_keep_each_hosts_waivers(fleet):
    """Two slices (--limit each) and merge_reports: the merged report waives n-kmod2 only."""
    slices = []
    for host in ("n-kmod1", "n-kmod2"):
        slices.append(str(fleet / ("slice-" + host)))
        run = playbook(fleet, "drift_report", "--limit", host, auditkit_report_dir=slices[-1])
        assert run.returncode == 0, run.stdout
    merged = fleet / "merged"
    run = playbook(fleet, "merge_reports", "--limit", "n-kmod1,n-kmod2", auditkit_merge_paths=slices,
                   auditkit_report_dir=str(merged))
    assert run.returncode == 0, run.stdout
    assert _kmod(merged) == {"n-kmod1": "fail", "n-kmod2": "waived"}
    assert "waiver for host n-kmod2" in (merged / "summary.md").read_text()
    gated = playbook(fleet, "merge_reports", "--limit", "n-kmod1,n-kmod2", auditkit_merge_paths=slices,
                     auditkit_report_dir=str(fleet / "merged-gated"), auditkit_fail_on_drift=True)
    assert gated.returncode == 2 and "drifting hosts: n-kmod1; see" in gated.stdout, gated.stdout


# --- 6. waiver keys -------------------------------------------------------------------------------

def test_a_waiver_key_no_control_has_stops_the_run_with_close_matches(fleet):
    out = fleet / "typo-waiver"
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(out), auditkit_waivers={"V-258915": "typo"})
    assert run.returncode != 0
    assert re.search(r"auditkit_waivers of host \S+: V-258915 \(did you mean [^)]*V-258195", run.stdout), run.stdout
    assert "Judge the kernel-module audit rules" not in run.stdout and not out.exists()


# --- 2. --tags that look like control IDs ---------------------------------------------------------

@pytest.mark.parametrize("tag, expected", [
    ("V-258198", r"V-258198 \(did you mean [^)]*V-258195"),  # a typo
    ("v-258195", r"v-258195 \(the role's tasks are tagged V-258195"),  # tags are case-sensitive
    ("V-25819", r"V-25819 \(did you mean V-258195"),  # a cut ID
    ("SV-258195r1045370_rule", r"tagged V-258195, RHEL-09-654105"),  # an ID the tasks are not tagged with
])
def test_a_control_like_tag_that_tags_nothing_stops_remediate_before_anything_is_written(fleet, tag, expected):
    before = _rules_files(fleet)
    run = playbook(fleet, "remediate", "--tags", tag, "--limit", "n-kmod1")
    assert run.returncode != 0 and re.search(expected, run.stdout), run.stdout
    assert "--tags: " in run.stdout and "Write the audit rules" not in run.stdout
    assert _rules_files(fleet) == before


def test_a_mistyped_tag_stops_drift_report_and_a_right_one_selects_its_control(fleet):
    out = fleet / "typo-tag"
    run = playbook(fleet, "drift_report", "--tags", "V-258199", auditkit_report_dir=str(out))
    assert run.returncode != 0 and "V-258199 (did you mean" in run.stdout and not out.exists()
    out = fleet / "right-tag"
    run = playbook(fleet, "drift_report", "--tags", "RHEL-09-654105,auditkit", "--limit", "a-ok",
                   auditkit_report_dir=str(out))
    assert run.returncode == 0, run.stdout
    assert report_statuses(out) == {"a-ok": {KMOD: ("pass", report_statuses(out)["a-ok"][KMOD][1])}}


# --- 5. auditkit_fail_on_drift fails the hosts that drift -----------------------------------------

def test_fail_on_drift_fails_the_drifting_host_not_the_first(fleet):
    out = fleet / "gate"
    run = playbook(fleet, "drift_report", "--limit", "a-ok,n-kmod1", auditkit_report_dir=str(out),
                   auditkit_fail_on_drift=True)
    assert run.returncode == 2, run.stdout
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", run.stdout, re.M))
    assert recap == {"a-ok": "0", "n-kmod1": "1"}, run.stdout
    assert re.search(r"fatal: \[n-kmod1\]: FAILED! => .*drift: failing controls V-258195 .*drifting hosts of the "
                     r"run: n-kmod1;", run.stdout), run.stdout
    assert os.path.exists(str(out / "report.json"))


# --- 3. become: a host reached as root needs no sudo; a module failure's stderr is in the report ----

FAKE_SUDO = """#!/bin/sh
# stands in for sudo: records how it was called, then runs the command (the test runs as root)
echo "$@" >> "$(dirname "$0")/sudo.log"
while [ $# -gt 0 ]; do case "$1" in -u|-p) shift 2;; -*) shift;; *) break;; esac; done
exec "$@"
"""


@pytest.fixture(scope="module")
def become_fleet(tmp_path_factory):
    """Hosts on the local connection as root with become on (the playbooks' default): r-sudo
    becomes another user through a sudo, r-broken has a Python that cannot start (the module
    fails with its cause only on stderr). (A local host reached as root: Ansible itself skips
    becoming the same user; the container test below is the host reached as root without sudo.)"""
    root = tmp_path_factory.mktemp("become")
    sudo = root / "bin" / "sudo"
    sudo.parent.mkdir()
    sudo.write_text(FAKE_SUDO)
    sudo.chmod(0o755)
    broken = root / "bin" / "python3"
    broken.write_text("#!/bin/sh\necho 'python3: error while loading shared libraries: libpython3.11.so.1.0: "
                      "cannot open shared object file' >&2\nexit 127\n")
    broken.chmod(0o755)
    become = {"auditkit_become": True}
    make_fleet(root, {"r-sudo": {"files": NO_KMOD, "vars": dict(become, ansible_become_exe=str(sudo),
                                                                ansible_become_user="nobody")},
                      "r-broken": {"files": NO_KMOD, "vars": dict(become, ansible_python_interpreter=str(broken))},
                      "m-image": {"vars": {"auditkit_rules_dir": str(root / "mnt" / "image" / "etc" / "audit" / "rules.d"),
                                           "auditkit_compiled_file": str(root / "mnt" / "image" / "etc" / "audit" / "audit.rules")}}},
               common={"auditkit_profile": "stig_rhel9"})
    return root


def test_a_host_that_needs_sudo_goes_through_it_and_a_failing_sudo_is_reported_with_its_stderr(become_fleet):
    out = become_fleet / "sudo"
    run = playbook(become_fleet, "drift_report", "--limit", "r-sudo,r-broken", auditkit_report_dir=str(out))
    assert run.returncode == 2, run.stdout  # r-broken could not be judged
    assert _kmod(out)["r-sudo"] == "fail"
    assert "-H -S -n -u nobody" in (become_fleet / "bin" / "sudo.log").read_text()
    report = json.loads((out / "report.json").read_text())
    error = [h for h in report["hosts"] if h["name"] == "r-broken"][0]["error"]
    cause = "python3: error while loading shared libraries: libpython3.11.so.1.0: cannot open shared object file"
    assert "No start of json char found" in error and error.endswith("; stderr: " + cause), error
    for name in ("summary.md", "report.csv", "junit.xml", "report.html", "r-broken.cklb"):
        assert cause in (out / name).read_text(), name
    assert re.search(r"fatal: \[r-broken\]: FAILED! => .*stderr: python3: error while loading", run.stdout), run.stdout


def _docker(*args, **kwargs):
    return subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False, **kwargs)


@pytest.fixture(scope="module")
def root_container(tmp_path_factory):
    """A Debian 12 container (no sudo in the image) reached as root over the docker connection,
    with only the connection variable in the inventory, as a new user writes it."""
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "build_image.sh")], check=True, stdout=subprocess.DEVNULL)
    name, stopped = "auditkit-newuser-root", "auditkit-newuser-stopped"
    for container in (name, stopped):
        _docker("rm", "-f", container)
        started = _docker("run", "-d", "--name", container, "--network", "none", IMAGE, "sleep", "infinity")
        assert started.returncode == 0, started.stdout
    assert _docker("exec", name, "sh", "-c", "command -v sudo").returncode != 0  # the image has no sudo
    assert _docker("stop", "-t", "0", stopped).returncode == 0
    root = tmp_path_factory.mktemp("container")
    (root / "hosts").write_text("%s ansible_connection=community.docker.docker\n[stopped]\n%s "
                                "ansible_connection=community.docker.docker\n" % (name, stopped))
    yield root, name
    for container in (name, stopped):
        _docker("rm", "-f", container)


def _as_printed(root, *args):
    """ansible-playbook -i hosts <args>, nothing else (the README's commands)."""
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "hosts"] + list(args), env=env(), cwd=str(root),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def test_readme_commands_as_printed_on_a_container_reached_as_root_without_sudo(root_container):
    root, name = root_container
    run = _as_printed(root, "auditkit.auditd.drift_report", "-e", "auditkit_profile=auto", "--limit", name)
    reports = sorted((root / "auditkit-reports").iterdir())
    report = json.loads((reports[-1] / "report.json").read_text())
    # the module ran as root (no sudo needed) and judged: Debian has no STIG, which only it can say
    assert report["hosts"][0]["error"].startswith("profile auto: no bundled STIG profile for ID=debian"), run.stdout
    run = _as_printed(root, "auditkit.auditd.remediate", "--check", "-e", "auditkit_profile=stig_rhel9", "--limit", name)
    assert run.returncode == 0, run.stdout
    # a container cannot load into the kernel: the dry run's handler says so, not "would bring into the kernel []"
    assert "nothing can be loaded on this host, so nothing would be: no audit capability" in run.stdout, run.stdout
    assert "would bring into the kernel []" not in run.stdout
    run = _as_printed(root, "auditkit.auditd.remediate", "-e", "auditkit_profile=stig_rhel9", "--limit", name)
    assert run.returncode == 0, run.stdout
    run = _as_printed(root, "auditkit.auditd.drift_report", "-e", "auditkit_profile=stig_rhel9", "--limit", name)
    assert run.returncode == 0, run.stdout
    latest = sorted((root / "auditkit-reports").iterdir())[-1]
    assert set(s for s, _reason in report_statuses(latest)[name].values()) == {"pass"}, run.stdout


# --- 4. warnings beside the verdicts, and passes that did not see the kernel --------------------

def test_each_hosts_warnings_and_a_disk_only_pass_are_in_every_format(fleet):
    out = fleet / "warnings"
    run = playbook(fleet, "drift_report", "--limit", "w-stale,a-ok", auditkit_report_dir=str(out))
    assert run.returncode == 0, run.stdout
    statuses = report_statuses(out)
    assert all(status == "pass" and reason.endswith("(on disk; kernel not read)")
               for host in statuses.values() for status, reason in host.values()), statuses
    stale = "compiled_stale: %s is not what augenrules builds" % (fleet / "w-stale" / "audit.rules")
    missing = "compiled_missing: %s does not exist" % (fleet / "a-ok" / "audit.rules")
    summary = (out / "summary.md").read_text()
    matrix = [line for line in summary.splitlines() if line.startswith("| w-stale | pass |")][0]
    assert stale in matrix.split(" | ")[-1] and summary.splitlines()[6].endswith("| Warnings |")
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert all(stale in r["host_warnings"] for r in rows if r["host"] == "w-stale")
    assert all(missing in r["host_warnings"] for r in rows if r["host"] == "a-ok")
    html = (out / "report.html").read_text()
    assert re.search(r'<th>w-stale <a class="badge" href="#warnings-w-stale" title="[^"]*compiled_stale', html)
    assert '<section id="host-warnings">' in html and stale in html
    # the STIG's check reads auditctl -l: a pass on disk alone is not_reviewed in the checklist, with the reason
    cklb = json.loads((out / "w-stale.cklb").read_text())
    for rule in cklb["stigs"][0]["rules"]:
        assert rule["status"] == "not_reviewed" and "Not reviewed: passes on disk; kernel not read" in rule["finding_details"]
        assert "Host warnings: " + stale in rule["finding_details"]


def test_a_stopped_container_is_unreachable_with_a_reason_that_says_what_to_look_at(root_container):
    root, _name = root_container
    run = _as_printed(root, "auditkit.auditd.drift_report", "-e", "auditkit_profile=stig_rhel9", "--limit", "stopped")
    assert run.returncode == 4, run.stdout  # Ansible's code for unreachable hosts, not 2 (failed)
    # the recap agrees with the report: the docker connection's unreachable result, kept for the report
    # by ignore_unreachable, ends the host as unreachable after it, not as a failure of ours
    recap = re.search(r"^auditkit-newuser-stopped\s+: ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", run.stdout, re.M)
    assert recap and recap.groups() == ("1", "0"), run.stdout
    report = json.loads((sorted((root / "auditkit-reports").iterdir())[-1] / "report.json").read_text())
    host = report["hosts"][0]
    assert host["status"] == "unreachable" and "a container that is not running (docker ps -a" in host["error"]


# --- 7. smaller things ----------------------------------------------------------------------------

def test_drift_report_lists_the_removal_remediate_will_make_and_remediate_makes_it(fleet):
    out = fleet / "never"
    run = playbook(fleet, "drift_report", "--limit", "s-never", auditkit_report_dir=str(out))
    assert run.returncode == 0, run.stdout
    never = fleet / "s-never" / "rules.d" / "10-base.rules"
    html = (out / "report.html").read_text()
    assert "Lines that would fix it:\nremove %s:2: -a task,never" % never in html
    report = json.loads((out / "report.json").read_text())
    assert {"control": "V-258195", "action": "remove", "file": str(never), "line": "-a task,never",
            "line_number": 2} in report["hosts"][0]["planned_changes"]
    run = playbook(fleet, "remediate", "--limit", "s-never")
    assert run.returncode == 0 and "-a task,never" not in never.read_text(), run.stdout


def test_remediate_check_diff_shows_one_line_for_the_report_files(fleet):
    run = playbook(fleet, "remediate", "--check", "--diff", "--limit", "n-kmod1",
                   auditkit_report_dir=str(fleet / "diff"))
    assert run.returncode == 0, run.stdout
    assert "+-a always,exit -F path=/usr/bin/kmod" in run.stdout  # the rule diff
    assert re.search(r"auditkit report in \S+/diff: \d+ files written \(\d+ new\): [^\n]*n-kmod1.cklb, [^\n]*report.json, summary.md\n", run.stdout), run.stdout
    assert '"sha1"' not in run.stdout and "before_header" not in run.stdout


def test_a_wrong_profile_name_says_the_choices_without_the_specification(fleet):
    run = playbook(fleet, "drift_report", auditkit_profile="stig_rhel99")
    assert run.returncode != 0
    fatal = [line for line in run.stdout.splitlines() if line.startswith("fatal:")]
    assert len(fatal) == 1 and "auditkit_profile" in fatal[0] and "stig_rhel9" in fatal[0], run.stdout
    assert "argument_spec_data" not in run.stdout and len(fatal[0]) < 1500, run.stdout


def test_every_host_in_error_keeps_the_markdown_tables_whole(become_fleet):
    out = become_fleet / "all-error"
    playbook(become_fleet, "drift_report", "--limit", "r-broken,m-image", auditkit_report_dir=str(out),
             auditkit_profile="stig_rhel9")
    report = json.loads((out / "report.json").read_text())
    assert set(h["status"] for h in report["hosts"]) == {"error"}
    for line in (out / "summary.md").read_text().splitlines():
        if line.startswith("| Host | Status"):
            header, separator = line, None
        elif line.startswith("|---") and "header" in locals() and separator is None:
            separator = line
            assert header.count("|") == separator.count("|"), (header, separator)
            del header
    image = [h for h in report["hosts"] if h["name"] == "m-image"][0]["error"]
    assert "%s does not exist" % (become_fleet / "mnt") in image and "audit package" not in image, image


def test_the_audit_rules_info_example_names_each_failing_rule(tmp_path):
    """The module's EXAMPLES, first two tasks, on an empty rules directory: the assert's message
    names each failing rule with its reason."""
    from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info
    tasks = yaml.safe_load(audit_rules_info.EXAMPLES)[:2]
    (tmp_path / "rules.d").mkdir()
    tasks[0]["auditkit.auditd.audit_rules_info"].update(
        rules_dir=str(tmp_path / "rules.d"), loaded=False, arch="x86_64", compiled_file=str(tmp_path / "audit.rules"))
    tasks[0]["become"] = False
    (tmp_path / "example.yml").write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": tasks}]))
    make_fleet(tmp_path / "fleet", {"ex": {}})
    run = playbook(tmp_path / "fleet", str(tmp_path / "example.yml"), "--limit", "ex")
    assert run.returncode == 2, run.stdout
    assert ("-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng: missing on "
            "disk: delete_module") in run.stdout, run.stdout
