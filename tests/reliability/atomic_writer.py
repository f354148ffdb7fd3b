# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kill writers mid-write, many times, and say what each kill left behind.

    python atomic_writer.py ARGS_JSON PATH OLD_FILE NEW_FILE RUNS SEED

For each run, a forked child rewrites PATH with audit_host.write_atomic forever, alternating
the two contents; the parent sends it SIGKILL after a random delay and prints what PATH holds
then: "old", "new" or "partial <bytes>". Forking after the imports keeps 200 runs fast; the
child uses a real AnsibleModule (ARGS_JSON: {"ANSIBLE_MODULE_ARGS": {}}), as the modules do.
"""
import os
import random
import signal
import sys
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H


def _write_forever(module, path, contents):
    turn = 0
    while True:
        H.write_atomic(module, path, contents[turn % 2])
        turn += 1


def main():
    args_file, path, old_file, new_file, runs, seed = sys.argv[1:7]
    contents = []
    for name in (old_file, new_file):
        with open(name) as handle:
            contents.append(handle.read())
    sys.argv = [sys.argv[0], args_file]
    module = AnsibleModule(argument_spec={})
    rng = random.Random(int(seed))
    for _run in range(int(runs)):
        child = os.fork()
        if child == 0:
            _write_forever(module, path, contents)
        time.sleep(rng.uniform(0.001, 0.04))
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        with open(path) as handle:
            now = handle.read()
        state = "old" if now == contents[0] else "new" if now == contents[1] else "partial %d" % len(now)
        sys.stdout.write(state + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
