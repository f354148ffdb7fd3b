# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The upstream audit-userspace sources as an outside judge: lib/*tab.h and lib/*_table.h read
straight from the vendored release tarballs (../shared/vendor/audit-userspace, or
$AUDIT_USERSPACE_SRC). Tests that use them skip, saying why, in a clone without ../shared."""
import os
import re
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
VENDOR = os.environ.get("AUDIT_USERSPACE_SRC") or os.path.join(ROOT, "..", "shared", "vendor", "audit-userspace")
_ENTRY = re.compile(r'^_S\(\s*([^,]+?)\s*,\s*"([^"]*)"\s*\)', re.M)


class Upstream(object):
    """One audit-userspace release: ``entries('fieldtab.h')`` -> [(constant, name)]."""

    def __init__(self, version):
        self.version = version
        self.tarball = os.path.join(VENDOR, "audit-userspace-%s.tar.gz" % version)
        self._cache = {}

    def source(self, name):
        """The text of lib/<name>."""
        if name not in self._cache:
            with tarfile.open(self.tarball) as archive:
                member = next(m for m in archive.getmembers() if m.name.endswith("/lib/" + name))
                self._cache[name] = archive.extractfile(member).read().decode("utf-8")
        return self._cache[name]

    def entries(self, name):
        """The _S(constant, "name") lines of a table header, with every #ifdef branch."""
        return _ENTRY.findall(self.source(name))

    def names(self, name):
        return set(text for _constant, text in self.entries(name))


@pytest.fixture(params=["3.1.5", "4.0.3"])
def upstream(request):
    """RHEL 9's audit 3.1.5 and the newest vendored release, 4.0.3."""
    judge = Upstream(request.param)
    if not os.path.isfile(judge.tarball):
        pytest.skip("upstream judge absent: %s (../shared/vendor/audit-userspace is not in this clone)" % judge.tarball)
    return judge
