# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo: the whole job on a small local fleet.

Starts three containers from the local Debian 12 image (no network) in different starting
states, runs the drift_report playbook (failures), remediate, and drift_report again
(everything passes), prints a per-host summary and where the reports are, and removes the
containers. Then, as root with auditing enabled, the probe (audit_rules_probe) fires each
required action on this machine and shows which ones its kernel recorded (containers cannot:
the kernel sends audit records only to the host's network namespace). The hosts are Debian,
which has no STIG, so the demo uses the RHEL 9 STIG profile (the test image carries
OpenSCAP's RHEL content for the same reason).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
IMAGE = "auditkit/debian12:test"
PROFILE = "stig_rhel9"

FLEET = {
    "demo-empty": "",
    "demo-partial": "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n",
    "demo-suppressed": ("-a task,never\n"
                        "-a always,exit -F arch=b64 -S delete_module -F auid!=-1 -F auid>=1000 -k module_chng\n"),
}


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def start_fleet():
    for name in FLEET:
        subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        run(["docker", "run", "-d", "--name", name, "--network", "none", IMAGE, "sleep", "infinity"],
            stdout=subprocess.DEVNULL)
        seed = "-D\n-b 8192\n" + FLEET[name]
        run(["docker", "exec", "-i", name, "sh", "-c", "cat > /etc/audit/rules.d/10-site.rules"],
            input=seed.encode())


def stop_fleet():
    for name in FLEET:
        subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def playbook(workdir, name, report_dir=None):
    inventory = os.path.join(workdir, "hosts.ini")
    extra = {"auditkit_profile": PROFILE, "target": "demo", "auditkit_become": False}  # containers run as root
    if report_dir:
        extra["auditkit_report_dir"] = report_dir
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "pytest"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0",
               PATH=BIN + os.pathsep + os.environ["PATH"])
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, "auditkit.auditd." + name,
                           "-e", json.dumps(extra)], env=env, cwd=workdir, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode != 0:
        sys.stdout.write(done.stdout)
        raise SystemExit("%s failed (rc=%d)" % (name, done.returncode))
    return done.stdout


def summary(report_dir, title):
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    ids = [c["id"] for c in report["controls"]]
    print("\n%s (%s)" % (title, report_dir))
    print("  %-16s %s" % ("host", "  ".join("%-9s" % i for i in ids)))
    for host in report["hosts"]:
        cells = "  ".join("%-9s" % c["status"] for c in host["controls"])
        print("  %-16s %s" % (host["name"], cells))
    for host in report["hosts"]:
        failing = [c for c in host["controls"] if c["status"] == "fail"]
        if failing:
            why = failing[0]["reason"].split("; ")[0].split(": ", 1)[-1]  # drop the rule text
            print("    %-16s %s: %s" % (host["name"], failing[0]["id"], why[:100]))
    return report


PROBE_PLAY = """- name: Proof by events on this machine (read-only for rules and settings)
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Fire each required action and read the kernel's records
      auditkit.auditd.audit_rules_probe:
        profile: %s
      register: probe
    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ probe | to_json }}"
        dest: "{{ playbook_dir }}/probe.json"
        mode: "0600"
"""


def probe_this_machine(workdir):
    """4. The probe column for this machine: its current kernel rules, judged by records.
    Needs root and auditing enabled; changes no rule or setting (it only adds audit records)."""
    print("\n4. proof by events on this machine (audit_rules_probe, profile %s)" % PROFILE)
    if os.geteuid() != 0:
        print("  skipped: not root (the probe reads the kernel's audit records)")
        return
    status = subprocess.run(["auditctl", "-s"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False)
    if status.returncode != 0 or "enabled 0" in status.stdout:
        why = "auditing is disabled (auditctl -s: enabled 0)" if status.returncode == 0 else status.stdout.strip()
        print("  skipped: %s; the containers above cannot run it (no kernel audit records in a container)" % why)
        return
    path = os.path.join(workdir, "probe.yml")
    with open(path, "w") as handle:
        handle.write(PROBE_PLAY % PROFILE)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "pytest"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               PATH=BIN + os.pathsep + os.environ["PATH"])
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), path], env=env, cwd=workdir,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode != 0:
        print("  the probe failed:\n" + done.stdout[-2000:])
        return
    with open(os.path.join(workdir, "probe.json")) as handle:
        result = json.load(handle)
    print("  %-16s %s" % ("host", "  ".join("%-12s" % c["id"] for c in result["controls"])))
    print("  %-16s %s" % ("this machine", "  ".join("%-12s" % c["status"] for c in result["controls"])))
    for entry in result["probe"]:
        if entry["status"] != "recorded":
            print("    %s: %s" % (entry["requirement"][:60], entry["reason"][:110]))


def main():
    run(["bash", os.path.join(ROOT, "scripts", "build_image.sh"), IMAGE])
    workdir = tempfile.mkdtemp(prefix="auditkit-demo-")
    with open(os.path.join(workdir, "hosts.ini"), "w") as handle:
        handle.write("[demo]\n%s\n[demo:vars]\nansible_connection=community.docker.docker\n"
                     "ansible_python_interpreter=/usr/bin/python3\n" % "\n".join(FLEET))
    reports = os.path.join(ROOT, "auditkit-reports")
    start_fleet()
    try:
        print("Fleet: %s (Debian 12 containers, no network), profile %s" % (", ".join(FLEET), PROFILE))
        before_dir = os.path.join(reports, "demo-before")
        playbook(workdir, "drift_report", before_dir)
        summary(before_dir, "1. drift_report before remediation")
        out = playbook(workdir, "remediate")
        recap = [line for line in out.splitlines() if line.startswith("demo-")]
        print("\n2. remediate\n  " + "\n  ".join(recap))
        after_dir = os.path.join(reports, "demo-after")
        playbook(workdir, "drift_report", after_dir)
        after = summary(after_dir, "3. drift_report after remediation")
        print("\nReports: %s/{report.json,summary.md,report.html,junit.xml,report.csv,*.cklb}" % after_dir)
        if after["summary"]["controls"]["fail"]:
            raise SystemExit("some controls still fail after remediation")
        print("Every control passes on every host.")
        probe_this_machine(workdir)
    finally:
        stop_fleet()


if __name__ == "__main__":
    main()
