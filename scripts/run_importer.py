"""Run galaxy-importer on a built collection tarball and fail on any finding.

galaxy-importer exits 1 only when the import itself fails; ansible-lint and
ansible-doc findings, a missing changelog and similar problems are logged as
"WARNING:" / "ERROR:" lines while the import still "succeeds". Galaxy shows
those to users, so this wrapper treats every such line as a failure, except
the ones listed in ALLOWED.

Usage: GALAXY_IMPORTER_CONFIG=tests/galaxy-importer.cfg run_importer.py TARBALL
"""

import os
import re
import subprocess
import sys

ALLOWED = (
    # Always logged when tests/sanity/ignore-*.txt exist; ours must stay empty.
    re.compile(r"^WARNING: Ignore files skip ansible-test sanity tests, found ignore-[0-9.]+\.txt with 0 statement\(s\)$"),
)
FINDING = re.compile(r"^(WARNING|ERROR|CRITICAL): ")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    tarball = argv[1]
    if not os.environ.get("GALAXY_IMPORTER_CONFIG"):
        sys.stderr.write("GALAXY_IMPORTER_CONFIG is not set\n")
        return 2

    proc = subprocess.run(
        [sys.executable, "-m", "galaxy_importer.main", tarball],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
        check=False,
    )
    sys.stdout.write(proc.stdout)

    findings = [
        line
        for line in proc.stdout.splitlines()
        if FINDING.match(line) and not any(rx.match(line) for rx in ALLOWED)
    ]
    if proc.returncode != 0:
        print("galaxy-importer: import FAILED (exit %d)" % proc.returncode)
        return 1
    if "Importer processing completed successfully" not in proc.stdout:
        print("galaxy-importer: no success line in output")
        return 1
    if findings:
        print("galaxy-importer: %d finding(s):" % len(findings))
        for line in findings:
            print("  " + line)
        return 1
    print("galaxy-importer: OK, no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
