"""Django's SQLite backend, told how many query parameters this SQLite takes.

Django assumes SQLite's old compile-time default of 999 variables per statement, so a bulk INSERT of
events is cut into statements of ~40 rows. SQLite 3.32 and later take 32,766: with that, a bulk write's
statements follow its batches, not its rows.
"""

import sqlite3

from django.db.backends.sqlite3 import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
