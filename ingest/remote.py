"""Pull events from another ACLED-compatible server (ACLED itself, or another instance of this system).

Its `acled/read` is paged through (`limit`, `page`, newest changes first by `timestamp` when `since` is
given) and each row converted by the ACLED reader's converter, so the rows meet the same rules as a file;
its `deleted/read` gives the events to tombstone here. Credentials go as ACLED's legacy `key` and `email`
query parameters (a key may be one of this system's API tokens).
"""

import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from events.formats.acled import ACLED_COLUMNS

from .readers import FileRefused, Reading
from .readers.acled import AcledConverter

PAGE_SIZE = 5000
TIMEOUT = 60


class RemoteError(Exception):
    """The server could not be read, or answered with ACLED's error envelope."""


class AcledServer:
    def __init__(self, url: str, *, key: str = "", email: str = "", page_size: int = PAGE_SIZE):
        self.url = url.rstrip("/")
        self.credentials = {k: v for k, v in (("key", key), ("email", email)) if v}
        self.page_size = page_size

    def _get(self, endpoint: str, params: dict) -> list[dict]:
        query = urllib.parse.urlencode({**params, **self.credentials, "_format": "json"})
        address = f"{self.url}/{endpoint}?{query}"
        try:
            with urllib.request.urlopen(address, timeout=TIMEOUT) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                body = json.load(exc)
            except ValueError:
                raise RemoteError(f"{endpoint}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RemoteError(f"{endpoint}: cannot read {self.url}: {exc}") from None
        if not body.get("success"):
            errors = body.get("error") or [{"message": "no reason given"}]
            messages = [e.get("message", str(e)) if isinstance(e, dict) else str(e) for e in errors]
            raise RemoteError(f"{endpoint}: the server refused the request: {'; '.join(messages)}")
        return body.get("data") or []

    def pages(self, endpoint: str, params: dict) -> Iterator[list[dict]]:
        page = 1
        while True:
            data = self._get(endpoint, {**params, "limit": self.page_size, "page": page})
            yield data
            if len(data) < self.page_size:
                return
            page += 1

    def events(self, since: datetime.datetime | None) -> Reading:
        params = {}
        if since is not None:
            params.update(timestamp=int(since.timestamp()), timestamp_where=">=")

        def rows():
            convert = AcledConverter()
            number = 0
            try:
                for page in self.pages("acled/read", params):
                    for record in page:
                        number += 1
                        yield convert(record, number)
            except RemoteError as exc:
                raise FileRefused(str(exc)) from None

        return Reading(format="ACLED API", columns=list(ACLED_COLUMNS), ignored_columns=[], rows=rows())

    def deleted(self, since: datetime.datetime | None) -> list[str]:
        params = {}
        if since is not None:
            params.update(deleted_timestamp=int(since.timestamp()), deleted_timestamp_where=">=")
        return [row["event_id_cnty"] for page in self.pages("deleted/read", params) for row in page]
