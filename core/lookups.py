"""Lookups the read paths need.

`field__in_ids=[…]`: an `IN` over integer ids, written into the SQL as numbers.

Django's `__in` prepares and binds every value one by one (for 2,000 ids that is most of the time of the
query in Python: a list page's or an export chunk's roles, tags and claims, an import batch's events), and
binding is also capped by the driver's parameter limit. Ids that pass `int()` are safe as literals, so
this lookup writes them as they are: one string join, no parameters.
"""

from django.db.models import CharField, Field, ForeignObject, Lookup
from django.db.models.lookups import StartsWith


class InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if not self.rhs:
            return "1 = 0", params  # IN () is not valid SQL; an empty list matches nothing
        return f"{lhs} IN ({','.join(map(str, self.rhs))})", params


Field.register_lookup(InIds)
ForeignObject.register_lookup(InIds)  # relations keep lookups of their own


class Prefix(Lookup):
    """`field__prefix="/3/"`: text that starts with the value, case-sensitively (materialised paths).

    On SQLite a `LIKE` with an ESCAPE clause never uses an index, and `LIKE` is case-insensitive there; the
    same rows are the range [value, value with its last character moved up one), which a B-tree reads
    directly (the text's collation is SQLite's binary one). Elsewhere it is Django's `startswith`.
    """

    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        return compiler.compile(StartsWith(self.lhs, self.rhs))

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        if not value:
            return "1 = 1", []
        upper = value[:-1] + chr(ord(value[-1]) + 1)
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, value, upper]


CharField.register_lookup(Prefix)
