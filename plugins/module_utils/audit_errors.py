# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors and source locations of the audit-rule engine (private to auditkit.auditd)."""


class Location(object):
    """Where a line came from: file name (or a label such as ``auditctl -l``) and 1-based line."""

    __slots__ = ("file", "line")

    def __init__(self, file=None, line=None):
        self.file = file
        self.line = line

    def __repr__(self):
        return "Location(%r, %r)" % (self.file, self.line)

    def __eq__(self, other):
        return isinstance(other, Location) and (self.file, self.line) == (other.file, other.line)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.file, self.line))

    def as_dict(self):
        return {"file": self.file, "line": self.line}


class AuditRuleError(ValueError):
    """A line that auditctl would reject, with file, line, column (1-based) and reason."""

    def __init__(self, reason, location=None, column=None):
        self.reason = reason
        self.location = location or Location()
        self.column = column
        ValueError.__init__(self, self.__str__())

    @property
    def file(self):
        return self.location.file

    @property
    def line(self):
        return self.location.line

    def __str__(self):
        where = []
        if self.location.file is not None:
            where.append(str(self.location.file))
        if self.location.line is not None:
            where.append(str(self.location.line))
        if self.column is not None:
            where.append(str(self.column))
        prefix = ":".join(where)
        return "%s: %s" % (prefix, self.reason) if prefix else self.reason

    def as_dict(self):
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason}
