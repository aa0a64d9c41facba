"""`field__in_ids=[…]`: an `IN` over integer ids, written into the SQL as numbers.

Django's `__in` prepares and binds every value one by one (for 2,000 ids that is most of the time of the
query in Python: a list page's or an export chunk's roles, tags and claims, an import batch's events), and
binding is also capped by the driver's parameter limit. Ids that pass `int()` are safe as literals, so
this lookup writes them as they are: one string join, no parameters.
"""

from django.db.models import Field, ForeignObject, Lookup


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
