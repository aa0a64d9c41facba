"""History tables indexed for the way they are read.

django-simple-history copies every indexed, unique or foreign-key column of a model into its history table
with an index of its own. History is read by object (`/…/{id}/history/`, the admin's history page) and by
date (the deleted feeds); those two indexes are kept, and the rest, which every write, and above all every
bulk import, had to maintain for no reader, are not created.
"""

from simple_history import models as simple_history


class HistoricalRecords(simple_history.HistoricalRecords):
    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name:
                field.db_index = False
        return fields
