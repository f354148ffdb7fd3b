# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rules-directory layouts for the OpenSCAP agreement test.

Each layout is one product (RHEL 7, 8 or 9 STIG), one loader (augenrules or auditctl) and,
per control, one *variant*: a way the control's rules are written (DISA's own text, another
spelling, a narrower or broader rule, commented out, missing ...). A whole-layout variant
(``task_never``) adds ``-a task,never``. Every disagreement between the two judges is then
due to the variant of that control, which docs/openscap-differences.md explains.
"""
import random

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS

INIT_FINIT = ["kernel_module_loading_init", "kernel_module_loading_finit"]
DELETE = ["kernel_module_loading_delete"]
KMOD = ["privileged_commands_kmod"]
# product -> (profile, SSG OVAL file, {control catalog id: [OVAL definition suffixes]})
PRODUCTS = {
    "rhel9": ("stig_rhel9", "ssg-rhel9-oval.xml", {
        "stig:rhel9:V-258189": DELETE, "stig:rhel9:V-258190": INIT_FINIT, "stig:rhel9:V-258195": KMOD}),
    "rhel8": ("stig_rhel8", "ssg-rhel8-oval.xml", {
        "stig:rhel8:V-230438": INIT_FINIT, "stig:rhel8:V-230446": DELETE, "stig:rhel8:V-230465": KMOD}),
    "rhel7": ("stig_rhel7", "ssg-rhel7-oval.xml", {
        "stig:rhel7:V-204559": ["kernel_module_loading_create"], "stig:rhel7:V-204560": INIT_FINIT,
        "stig:rhel7:V-204562": DELETE, "stig:rhel7:V-204563": KMOD}),
}

AUID = "-F auid>=1000 -F auid!=unset"


def _swap(line, old, new):
    return line.replace(old, new) if old in line else line


def _numbers(line):
    """-S names -> numbers of the line's arch table."""
    table = "i386" if "arch=b32" in line else "x86_64"
    words = line.split()
    index = words.index("-S") + 1
    words[index] = ",".join(str(A.syscall_number(n, table)) for n in words[index].split(","))
    return " ".join(words)


def _split(line):
    words = line.split()
    index = words.index("-S") + 1
    names = words[index].split(",")
    return " ".join(words[:index - 1] + [part for n in names for part in ("-S", n)] + words[index + 1:])


def _key(line, new):
    head = line.split(" -k ")[0]
    return head + new


SYSCALL_VARIANTS = {
    "disa": lambda lines: lines,
    "auid_minus_one": lambda lines: [_swap(rule, "auid!=unset", "auid!=-1") for rule in lines],
    "auid_4294967295": lambda lines: [_swap(rule, "auid!=unset", "auid!=4294967295") for rule in lines],
    "exit_always": lambda lines: [_swap(rule, "always,exit", "exit,always") for rule in lines],
    "split_syscalls": lambda lines: [_split(rule) for rule in lines],
    "syscall_numbers": lambda lines: [_numbers(rule) for rule in lines],
    "arch_names": lambda lines: [_swap(_swap(rule, "arch=b64", "arch=x86_64"), "arch=b32", "arch=i386") for rule in lines],
    "key_field": lambda lines: [_key(rule, " -F key=" + rule.split(" -k ")[1]) if " -k " in rule else rule for rule in lines],
    "other_key": lambda lines: [_key(rule, " -k site_modules") for rule in lines],
    "no_key": lambda lines: [_key(rule, "") for rule in lines],
    "filters_reordered": lambda lines: [_swap(rule, AUID, "-F auid!=unset -F auid>=1000") for rule in lines],
    "narrower_exit": lambda lines: [_swap(rule, AUID, AUID + " -F exit=-EPERM") for rule in lines],
    "no_auid": lambda lines: [_swap(rule, " " + AUID, "") for rule in lines],
    "b64_only": lambda lines: [rule for rule in lines if "arch=b32" not in rule],
    "commented": lambda lines: ["# " + rule for rule in lines],
    "missing": lambda lines: [],
}

KMOD_VARIANTS = {
    "disa": lambda lines: lines,
    "auid_minus_one": lambda lines: [_swap(rule, "auid!=unset", "auid!=-1") for rule in lines],
    "key_field": lambda lines: [_key(rule, " -F key=modules") for rule in lines],
    "no_key": lambda lines: [_key(rule, "") for rule in lines],
    "watch_form": lambda lines: ["-w /usr/bin/kmod -p x -k modules"],
    "watch_form_with_auid": lambda lines: ["-w /usr/bin/kmod -p x %s -k modules" % AUID],
    "no_auid": lambda lines: [_swap(rule, " " + AUID, "") for rule in lines],
    "narrower_exit": lambda lines: [_swap(rule, AUID, AUID + " -F exit=-EPERM") for rule in lines],
    "commented": lambda lines: ["# " + rule for rule in lines],
    "missing": lambda lines: [],
}


def family(control):
    return "kmod" if any("kmod" in r for r in CONTROLS[control]["rules"]) else "syscall"


def variants_of(control):
    return KMOD_VARIANTS if family(control) == "kmod" else SYSCALL_VARIANTS


class Layout(object):
    def __init__(self, number, product, loader, variants, task_never=False):
        self.number = number
        self.product = product
        self.loader = loader
        self.variants = variants  # {control: variant name}
        self.task_never = task_never

    def lines(self):
        out = []
        for control, variant in sorted(self.variants.items()):
            out += variants_of(control)[variant](CONTROLS[control]["rules"])
        return out

    def files(self):
        """{path relative to the root: text}"""
        unit = ("ExecStartPost=-/sbin/augenrules --load" if self.loader == "augenrules"
                else "ExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules")
        files = {"usr/lib/systemd/system/auditd.service": "[Service]\n%s\n" % unit}
        base = "-D\n-b 8192\n" + ("-a task,never\n" if self.task_never else "")
        rules = "\n".join(self.lines()) + "\n"
        if self.loader == "augenrules":
            files["etc/audit/rules.d/10-base.rules"] = base
            files["etc/audit/rules.d/50-modules.rules"] = rules
        else:
            files["etc/audit/audit.rules"] = base + rules
        return files

    def __repr__(self):
        suffix = ", task_never" if self.task_never else ""
        return "Layout(%d, %s, %s, %s%s)" % (self.number, self.product, self.loader, self.variants, suffix)


def generate(count=120, seed=2026):
    """Layouts covering every (product, control, variant) at least once, then random ones."""
    rng = random.Random(seed)
    layouts = []
    for product in sorted(PRODUCTS):
        controls = sorted(PRODUCTS[product][2])
        longest = max(len(variants_of(c)) for c in controls)
        for index in range(longest):
            variants = dict((c, sorted(variants_of(c))[index % len(variants_of(c))]) for c in controls)
            layouts.append(Layout(len(layouts), product, rng.choice(["augenrules", "auditctl"]), variants))
        canonical = dict((c, "disa") for c in controls)
        layouts.append(Layout(len(layouts), product, "augenrules", canonical, task_never=True))
    while len(layouts) < count:
        product = rng.choice(sorted(PRODUCTS))
        controls = sorted(PRODUCTS[product][2])
        variants = dict((c, rng.choice(sorted(variants_of(c)))) for c in controls)
        layouts.append(Layout(len(layouts), product, rng.choice(["augenrules", "auditctl"]), variants))
    return layouts
