"""Readers: ACLED and UCDP GED files in every shape they come in read to the same rows; malformed files and
rows are refused with one clear reason, the line and the column. Every file is generated here, in tmp_path.
"""

import csv
import dataclasses
import io
import random
from datetime import date

import pytest

from events.formats.acled import ACLED_COLUMNS
from events.formats.ucdp import UCDP_COLUMNS
from events.models import Event
from events.services.bulk import ActorRef, ClaimRow, CountryRef, EventRow, events_bulk_write
from ingest.readers import FileRefused, Refusal
from ingest.readers.acled import _claim, acled_row, read_acled
from ingest.readers.dates import full_year, parse_date
from ingest.readers.ucdp import read_ucdp, ucdp_row
from locations.countries import country_name_for_export, country_ref, iso_numeric

# --- building files --------------------------------------------------------------------------------------


ACLED_BASE = [
    {
        "event_id_cnty": "AFG61001", "event_date": "2022-05-05", "year": "2022", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": "NRF: National Resistance Front", "assoc_actor_1": "Andarab Resistance; Police",
        "inter1": "2", "actor2": "Military Forces of Afghanistan (2021-)", "assoc_actor_2": "", "inter2": "1",
        "interaction": "12", "civilian_targeting": "", "iso": "4", "region": "Caucasus and Central Asia",
        "country": "Afghanistan", "admin1": "Panjshir", "admin2": "Rokha", "admin3": "", "location": "Rokha",
        "latitude": "35.3012", "longitude": "69.4935", "geo_precision": "2",
        "source": "New York Sun; Twitter", "source_scale": "New media-International",
        "notes": "On 5 May 2022, NRF fighters clashed with Taliban forces in Rokha district. The NRF "
        "claimed it took three districts; a Taliban official denied it. Fatalities unknown.",
        "fatalities": "0", "tags": "", "timestamp": "1652000000",
    },
    {
        "event_id_cnty": "AFG61002", "event_date": "2022-05-06", "year": "2022", "time_precision": "2",
        "disorder_type": "Demonstrations", "event_type": "Protests", "sub_event_type": "Peaceful protest",
        "actor1": "Protesters (Afghanistan)", "assoc_actor_1": "Women (Afghanistan)", "inter1": "6",
        "actor2": "", "assoc_actor_2": "", "inter2": "0", "interaction": "60", "civilian_targeting": "",
        "iso": "4", "region": "Caucasus and Central Asia", "country": "Afghanistan", "admin1": "Kabul",
        "admin2": "Kabul", "admin3": "", "location": "Kabul", "latitude": "34.5167",
        "longitude": "69.1833", "geo_precision": "1", "source": "Pajhwok Afghan News",
        "source_scale": "National", "notes": "", "fatalities": "", "tags": "crowd size=no report",
        "timestamp": "1652000001",
    },
    {
        "event_id_cnty": "DRC30003", "event_date": "2022-05-07", "year": "2022", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Violence against civilians",
        "sub_event_type": "Attack", "actor1": "ADF: Allied Democratic Forces", "assoc_actor_1": "",
        "inter1": "2", "actor2": "Civilians (Democratic Republic of Congo)", "assoc_actor_2": "",
        "inter2": "7", "interaction": "27", "civilian_targeting": "Civilian targeting", "iso": "180",
        "region": "Middle Africa", "country": "Democratic Republic of Congo", "admin1": "Nord-Kivu",
        "admin2": "Beni", "admin3": "Beni-Mbau", "location": "Mamove", "latitude": "0.7",
        "longitude": "29.6", "geo_precision": "1", "source": "Radio Okapi", "source_scale": "Subnational",
        "notes": "Around 7 May 2022, ADF killed 3 civilians in Mamove.", "fatalities": "3",
        "tags": "women targeted: girls; local administrators", "timestamp": "1652000002",
    },
]  # fmt: skip


def _ucdp(**values) -> dict:
    row = dict.fromkeys(UCDP_COLUMNS, "")
    row.update(relid="X", active_year="1", code_status="Clear", number_of_sources="2", event_clarity="1")
    row.update(values)
    return row


UCDP_BASE = [
    _ucdp(
        id="244657",
        year="2017",
        type_of_violence="1",
        conflict_name="Afghanistan: Government",
        dyad_name="Government of Afghanistan - Taleban",
        side_a="Government of Afghanistan",
        side_b="Taleban",
        source_office="Pajhwok Afghan News;BBC Monitoring",
        source_date="2017-01-02;2017-01-03",
        source_headline="Clash in Rokha;Fighting in Panjshir",
        where_prec="1",
        where_coordinates="Rokha town",
        where_description="Rokha, Panjshir",
        adm_1="Panjshir province",
        adm_2="Rokha district",
        latitude="35.3012",
        longitude="69.4935",
        country="Afghanistan",
        country_id="700",
        region="Asia",
        date_prec="1",
        date_start="2017-01-01 00:00:00.000",
        date_end="2017-01-01 00:00:00.000",
        best="3",
        low="2",
        high="5",
    ),
    _ucdp(
        id="244658",
        year="2017",
        type_of_violence="2",
        dyad_name="",
        side_a="IS",
        side_b="Taleban",
        source_office="",
        source_original="Local residents",
        where_prec="4",
        where_coordinates="Nangarhar",
        adm_1="Nangarhar province",
        latitude="34.25",
        longitude="70.5",
        country="Yemen (North Yemen)",
        country_id="678",
        date_prec="3",
        date_start="2017-02-01 00:00:00.000",
        date_end="2017-02-07 00:00:00.000",
        best="10",
        low="10",
        high="12",
    ),
    _ucdp(
        id="244659",
        year="2017",
        type_of_violence="3",
        dyad_name="ADF - civilians",
        side_a="ADF",
        side_b="Civilians",
        source_office="Radio Okapi",
        source_date="not a date",
        source_headline="",
        where_prec="2",
        where_coordinates="Mamove village",
        adm_1="Nord Kivu province",
        adm_2="Beni territory",
        latitude="0.7",
        longitude="29.6",
        country="DR Congo (Zaire)",
        country_id="490",
        date_prec="1",
        date_start="2017-03-01 00:00:00.000",
        date_end="2017-03-01 00:00:00.000",
        best="1",
        low="1",
        high="1",
    ),
]


def to_bytes(header, rows, *, delimiter=",", bom=False, newline="\n", encoding="utf-8", index=None) -> bytes:
    """A CSV as csv.writer writes it; `index` adds a pandas-style unnamed first column with that name."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(([index] if index is not None else []) + list(header))
    for i, row in enumerate(rows):
        writer.writerow(([str(i)] if index is not None else []) + [row.get(name, "") for name in header])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def write(tmp_path, data: bytes, name="file.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def normalised(rows) -> list[dict]:
    """What a reading means, whatever the file's shape: lines dropped, the notes' spacing folded."""
    out = []
    for row in rows:
        assert isinstance(row, EventRow), row
        data = dataclasses.asdict(row)
        data.pop("line")
        data["fields"]["notes"] = " ".join(data["fields"]["notes"].split())
        out.append(data)
    return out


# --- ACLED: one set of rows, every shape ---------------------------------------------------------------


def _rename(rows, names: dict) -> list[dict]:
    return [{names.get(k, k): v for k, v in row.items()} for row in rows]


def _with(rows, **changes) -> list[dict]:
    """Each row with `changes[column](value, index)` applied."""
    return [
        {k: changes[k](v, i) if k in changes else v for k, v in row.items()} for i, row in enumerate(rows)
    ]


def _old_layout():
    header = ["data_id", "iso3", "event_id_no_cnty"] + [
        c for c in ACLED_COLUMNS if c not in ("disorder_type", "civilian_targeting", "tags", "iso")
    ]
    rows = [
        {
            **row,
            "data_id": str(9000 + i),
            "iso3": {"4": "AFG", "180": "COD"}[row["iso"]],
            "event_id_no_cnty": "1",
        }
        for i, row in enumerate(ACLED_BASE)
    ]
    return header, rows, {}


def _upper_case_and_ally():
    names = {"assoc_actor_1": "ally_actor_1", "assoc_actor_2": "ally_actor_2"}
    header = [names.get(c, c).upper() for c in ACLED_COLUMNS]
    return header, [{names.get(k, k).upper(): v for k, v in row.items()} for row in ACLED_BASE], {}


def _shuffled():
    header = list(ACLED_COLUMNS)
    random.Random(7).shuffle(header)
    return header, ACLED_BASE, {}


INTER_TEXT = {"1": "State forces", "2": "Rebel Groups", "6": "PROTESTORS", "7": "civilians", "0": ""}

ACLED_VARIANTS = {
    "base": lambda: (ACLED_COLUMNS, ACLED_BASE, {}),
    "utf-8 BOM": lambda: (ACLED_COLUMNS, ACLED_BASE, {"bom": True}),
    "date as 05 May 2022": lambda: (
        ACLED_COLUMNS,
        _with(ACLED_BASE, event_date=lambda v, i: parse_date(v).strftime("%d %B %Y")),
        {},
    ),
    "date as 5-May-22": lambda: (
        ACLED_COLUMNS,
        _with(ACLED_BASE, event_date=lambda v, i: f"{parse_date(v).day}-{parse_date(v):%b-%y}"),
        {},
    ),
    "date as ISO date-time": lambda: (
        ACLED_COLUMNS,
        _with(ACLED_BASE, event_date=lambda v, i: f"{v}T00:00:00" if i else f"{v} 00:00:00.000Z"),
        {},
    ),
    "older layout": _old_layout,
    "upper-case headers and ALLY_ACTOR_1": _upper_case_and_ally,
    "shuffled columns": _shuffled,
    "notes with line breaks": lambda: (
        ACLED_COLUMNS,
        _with(ACLED_BASE, notes=lambda v, i: v.replace(". ", ".\r\n\n ")),
        {},
    ),
    "disorder_type with two values": lambda: (
        ACLED_COLUMNS,
        _with(ACLED_BASE, disorder_type=lambda v, i: "Political violence; Demonstrations" if i == 0 else v),
        {},
    ),
    "inter codes as text": lambda: (
        ACLED_COLUMNS,
        _with(ACLED_BASE, inter1=lambda v, i: INTER_TEXT[v], inter2=lambda v, i: INTER_TEXT[v]),
        {},
    ),
    "pandas index column (blank name)": lambda: (ACLED_COLUMNS, ACLED_BASE, {"index": ""}),
    "pandas index column (Unnamed: 0)": lambda: (ACLED_COLUMNS, ACLED_BASE, {"index": "Unnamed: 0"}),
    "extra unknown columns": lambda: (
        [*ACLED_COLUMNS[:5], "Analyst Comment", *ACLED_COLUMNS[5:], "batch"],
        _with(ACLED_BASE),
        {},
    ),
    "semicolon delimiter": lambda: (ACLED_COLUMNS, ACLED_BASE, {"delimiter": ";"}),
    "tab delimiter": lambda: (ACLED_COLUMNS, ACLED_BASE, {"delimiter": "\t"}),
    "CRLF line endings": lambda: (ACLED_COLUMNS, ACLED_BASE, {"newline": "\r\n"}),
}


def expected_acled(variant: str) -> list[dict]:
    rows = normalised(acled_row(record, i + 2) for i, record in enumerate(ACLED_BASE))
    if variant == "older layout":  # it has no civilian_targeting or tags columns
        for row in rows:
            row["fields"]["civilian_targeting"] = False
            row["tags"] = []
    return rows


@pytest.mark.parametrize("variant", ACLED_VARIANTS)
def test_every_shape_of_an_acled_file_reads_to_the_same_rows(db, tmp_path, variant):
    header, rows, options = ACLED_VARIANTS[variant]()
    reading = read_acled(write(tmp_path, to_bytes(header, rows, **options)))
    assert normalised(reading.rows) == expected_acled(variant)
    assert reading.format == "acled"
    assert reading.ignored_columns == (
        ["Analyst Comment", "batch"] if variant == "extra unknown columns" else []
    )


def test_the_acled_base_rows_read_as_documented(db):
    first, second, third = (acled_row(record, i + 2) for i, record in enumerate(ACLED_BASE))
    assert first.fields["acled_event_id"] == "AFG61001"
    assert first.fields["date_start"] == first.fields["date_end"] == date(2022, 5, 5)
    assert (first.fields["date_precision"], first.fields["geo_precision"]) == (1, 3)
    assert first.sub_event_type == "armed-clash"
    assert first.country == CountryRef("Afghanistan", "AF", "AFG")
    assert first.places == ("Panjshir", "Rokha", "", "Rokha")  # the place is kept though it repeats admin2
    assert (first.latitude, first.longitude) == (35.3012, 69.4935)
    assert first.actors == [
        (ActorRef("NRF: National Resistance Front", "rebel_group"), "side_a"),
        (ActorRef("Andarab Resistance", "rebel_group"), "associated_a"),
        (ActorRef("Police", "rebel_group"), "associated_a"),
        (ActorRef("Military Forces of Afghanistan (2021-)", "state_forces"), "side_b"),
    ]
    # ACLED's 0 is "none or no information": at least none, the exact figure unknown.
    assert (first.fields["fatalities_low"], first.fields["fatalities_best"]) == (0, None)
    assert first.fields["summary"] == first.fields["notes"]
    assert first.claims == [
        ClaimRow(
            source="New York Sun",
            report_key="acled:AFG61001:New York Sun",
            report_title="New York Sun, as cited by ACLED for event AFG61001",
            source_scale="new_media",
        ),
        ClaimRow(
            source="Twitter",
            report_key="acled:AFG61001:Twitter",
            report_title="Twitter, as cited by ACLED for event AFG61001",
            source_scale="new_media",
        ),
    ]
    assert first.tags == []

    assert second.sub_event_type == "peaceful-protest"
    assert second.fields["date_precision"] == 3  # ACLED's "week" is UCDP's date_prec 3
    assert second.fields["summary"] == "Peaceful protest in Kabul"  # no notes
    assert (second.fields["fatalities_low"], second.fields["fatalities_best"]) == (None, None)
    assert second.actors == [
        (ActorRef("Protesters (Afghanistan)", "protesters"), "side_a"),
        (ActorRef("Women (Afghanistan)", "protesters"), "associated_a"),
    ]
    assert second.tags == ["crowd size=no report"]
    assert second.claims[0].source_scale == "national"

    assert third.sub_event_type == "attack"
    assert third.fields["civilian_targeting"] is True
    assert (third.fields["fatalities_low"], third.fields["fatalities_best"]) == (None, 3)
    assert third.country == CountryRef("Democratic Republic of Congo", "CD", "COD")
    assert third.actors[1] == (ActorRef("Civilians (Democratic Republic of Congo)", "civilians"), "side_b")
    assert third.tags == ["women targeted: girls", "local administrators"]
    assert third.claims[0].source_scale == "local"


def test_the_quick_claim_row_equals_the_dataclass_made_one():
    made = ClaimRow(source="a", report_key="k", report_title="t", source_scale="national", published_on=None)
    quick = _claim("a", "k", "t", "national")
    assert quick == made and hash(quick) == hash(made) and repr(quick) == repr(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.source = "b"


def test_an_api_record_with_numbers_and_nulls_reads_like_the_file(db):
    record = dict(ACLED_BASE[2])
    record.update(year=2022, time_precision=1, inter1=2, inter2=7, iso=180, latitude=0.7, longitude=29.6)
    record.update(geo_precision=1.0, fatalities=3, timestamp=1652000002, admin3=None)
    row = acled_row(record, 7)
    assert row.line == 7
    assert row.places == ("Nord-Kivu", "Beni", "", "Mamove")
    assert row.fields["fatalities_best"] == 3
    assert (row.latitude, row.longitude) == (0.7, 29.6)


def test_a_retired_event_type_that_names_one_sub_type_maps_to_it(db, tmp_path):
    header = ["data_id", "event_id_cnty", "event_date", "year", "time_precision", "event_type", "actor1"]
    header += ["ally_actor_1", "inter1", "country", "location", "geo_precision", "fatalities"]
    rows = [
        {
            "data_id": "1", "event_id_cnty": f"SOM{i}", "event_date": "2015-03-01", "year": "2015",
            "time_precision": "1", "event_type": event_type, "actor1": "Al Shabaab", "inter1": "Rebel force",
            "country": "Somalia", "location": "Baidoa", "geo_precision": "1", "fatalities": "",
        }
        for i, event_type in enumerate(
            [
                "Battle-No change of territory",
                "Battle-Government regains territory",
                "Battle-Non-state actor overtakes territory",
                "Headquarters or base established",
                "Non-violent transfer of territory",
                "Riots/Protests",
                "Violence against civilians",
            ]
        )
    ]  # fmt: skip
    read = list(read_acled(write(tmp_path, to_bytes(header, rows))).rows)
    assert [r.sub_event_type for r in read[:5]] == [
        "armed-clash",
        "government-regains-territory",
        "non-state-actor-overtakes-territory",
        "headquarters-or-base-established",
        "non-violent-transfer-of-territory",
    ]
    assert read[0].fields["summary"] == "Armed clash in Baidoa"
    assert read[5] == Refusal(
        7,
        "event_type",
        "retired ACLED event type 'Riots/Protests' has no single current sub-event type; "
        "re-export with the current taxonomy",
    )
    assert read[6].column == "event_type" and "has no single current sub-event type" in read[6].reason


# --- ACLED: row refusals -------------------------------------------------------------------------------


def _refusal(tmp_path, **changes) -> Refusal:
    rows = [dict(ACLED_BASE[0]), {**ACLED_BASE[1], **changes}]
    read = list(read_acled(write(tmp_path, to_bytes(ACLED_COLUMNS, rows))).rows)
    assert isinstance(read[0], EventRow)
    assert isinstance(read[1], Refusal), read[1]
    assert read[1].line == 3
    assert read[1].raw["location"] == "Kabul"  # the row as read, for the refused-rows file
    return read[1]


@pytest.mark.parametrize(
    "changes, column, reason",
    [
        ({"event_date": "05/06/2020", "year": ""}, "event_date", "05/06/2020 could be 5 June or 6 May"),
        ({"event_date": "2022-02-30"}, "event_date", "no such day"),
        ({"event_date": ""}, "event_date", "no date given"),
        ({"sub_event_type": "Sit-in"}, "sub_event_type", "unknown sub-event type 'Sit-in'"),
        (
            {"event_type": "Riots"},
            "event_type",
            "sub-event type 'Peaceful protest' belongs to event type 'Protests', not 'Riots'",
        ),
        ({"event_type": "Riots/Protests", "sub_event_type": ""}, "event_type", "retired ACLED event type"),
        ({"inter1": "9"}, "inter1", "'9' is not an ACLED actor type (1–8 or its name)"),
        ({"inter1": ""}, "inter1", "blank; the actor type of actor1 is needed"),
        ({"actor2": "Taliban", "inter2": "0"}, "inter2", "'0' is not an ACLED actor type"),
        ({"year": "2019"}, "year", "year 2019 does not match event_date 2022-05-06"),
        ({"latitude": "91"}, "latitude", "91 is out of range (-90 to 90)"),
        ({"longitude": ""}, "longitude", "blank while the other coordinate is given"),
        ({"fatalities": "-1"}, "fatalities", "'-1' is not a whole number"),
        ({"fatalities": "2.5"}, "fatalities", "'2.5' is not a whole number"),
        ({"civilian_targeting": "yes"}, "civilian_targeting", "neither 'Civilian targeting' nor blank"),
        ({"time_precision": "4"}, "time_precision", "'4' is not an ACLED time_precision (1, 2 or 3)"),
        ({"country": "Pakistan"}, "country", "does not match ISO numeric code 4 (Afghanistan, AFG)"),
        ({"country": "Atlantis"}, "country", "unknown country 'Atlantis'"),
        ({"event_id_cnty": " "}, "event_id_cnty", "blank"),
        ({"actor1": ""}, "actor1", "blank"),
        ({"disorder_type": "Riots"}, "disorder_type", "'Riots' is not an ACLED disorder type"),
    ],
)
def test_a_bad_acled_row_is_refused_with_its_line_column_and_reason(db, tmp_path, changes, column, reason):
    refusal = _refusal(tmp_path, **changes)
    assert refusal.column == column
    assert reason in refusal.reason


def test_the_same_bad_value_is_refused_on_every_row_it_appears(db, tmp_path):
    rows = [{**ACLED_BASE[1], "event_id_cnty": f"X{i}", "inter1": "9"} for i in range(3)]
    read = list(read_acled(write(tmp_path, to_bytes(ACLED_COLUMNS, rows))).rows)
    assert [(r.line, r.column) for r in read] == [(2, "inter1"), (3, "inter1"), (4, "inter1")]


def test_fatalities_written_as_floats_by_a_spreadsheet_read_as_counts(db, tmp_path):
    rows = _with(ACLED_BASE, fatalities=lambda v, i: f"{v}.0" if v else v, year=lambda v, i: f"{v}.0")
    assert normalised(read_acled(write(tmp_path, to_bytes(ACLED_COLUMNS, rows))).rows) == expected_acled(
        "base"
    )


def test_an_actor_named_twice_keeps_its_first_role(db):
    row = acled_row({**ACLED_BASE[0], "assoc_actor_2": "Police; Taliban", "inter2": "1"}, 2)
    assert [(ref.name, role) for ref, role in row.actors] == [
        ("NRF: National Resistance Front", "side_a"),
        ("Andarab Resistance", "associated_a"),
        ("Police", "associated_a"),
        ("Military Forces of Afghanistan (2021-)", "side_b"),
        ("Taliban", "associated_b"),
    ]


def test_long_notes_make_a_summary_cut_at_a_word(db):
    notes = "word " * 150
    row = acled_row({**ACLED_BASE[0], "notes": notes}, 2)
    assert len(row.fields["summary"]) <= 500 and row.fields["summary"].endswith("word…")
    assert row.fields["notes"] == notes.strip()


def test_a_row_with_an_extra_field_is_refused_not_padded(db, tmp_path):
    data = to_bytes(ACLED_COLUMNS, ACLED_BASE).splitlines(keepends=True)
    data[2] = data[2].replace(b"\n", b",surplus\n")
    read = list(read_acled(write(tmp_path, b"".join(data))).rows)
    assert isinstance(read[0], EventRow) and isinstance(read[2], EventRow)
    assert read[1] == Refusal(
        3, "", "the row has 32 fields but the header has 31 (a delimiter inside an unquoted value?)"
    )
    data[2] = b"AFG61002,2022-05-06\n"
    read = list(read_acled(write(tmp_path, b"".join(data))).rows)
    assert read[1] == Refusal(3, "", "the row has 2 fields but the header has 31")
    assert read[1].raw == {"event_id_cnty": "AFG61002", "event_date": "2022-05-06"}


def test_line_numbers_count_the_line_breaks_inside_quoted_fields(db, tmp_path):
    rows = [
        {**ACLED_BASE[0], "notes": "line one\nline two\nline three"},  # lines 2-4
        {**ACLED_BASE[1], "inter1": "9"},  # line 5
        ACLED_BASE[2],  # line 6, after a blank line
    ]
    data = to_bytes(ACLED_COLUMNS, rows).splitlines(keepends=True)
    data.insert(5, b"\n")
    read = list(read_acled(write(tmp_path, b"".join(data))).rows)
    assert [r.line for r in read] == [2, 5, 7]
    assert read[1].column == "inter1"
    assert read[0].fields["notes"] == "line one\nline two\nline three"
    assert read[0].fields["summary"] == "line one line two line three"


def test_a_stream_and_standard_input_read_like_a_path(db, tmp_path, monkeypatch):
    data = to_bytes(ACLED_COLUMNS, ACLED_BASE, bom=True)
    expected = expected_acled("base")
    assert normalised(read_acled(io.BytesIO(data)).rows) == expected

    class Pipe(io.RawIOBase):  # a stream that cannot seek, like a pipe
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.data.read(min(len(buffer), 1000))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert normalised(read_acled(io.BufferedReader(Pipe(data * 1))).rows) == expected
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(Pipe(data))))
    assert normalised(read_acled("-").rows) == expected
    with pytest.raises(TypeError, match="binary mode"):
        read_acled(io.StringIO("a,b\n"))


def test_a_row_with_broken_quoting_is_refused_and_the_next_rows_still_read(db, tmp_path):
    data = to_bytes(ACLED_COLUMNS, ACLED_BASE).splitlines(keepends=True)
    data[2] = data[2].replace(b"Pajhwok Afghan News", b'"Pajhwok" Afghan News', 1)
    read = list(read_acled(write(tmp_path, b"".join(data))).rows)
    assert read[1] == Refusal(3, "", "malformed CSV quoting: ',' expected after '\"'")
    assert isinstance(read[0], EventRow) and isinstance(read[2], EventRow)


def test_what_the_readers_make_the_bulk_writer_stores(db, tmp_path):
    acled = read_acled(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE), "acled.csv"))
    assert events_bulk_write(acled.rows).created == 3
    ucdp = read_ucdp(write(tmp_path, to_bytes(UCDP_COLUMNS, UCDP_BASE), "ged.csv"))
    assert events_bulk_write(ucdp.rows).created == 3
    clash = Event.objects.get(acled_event_id="AFG61001")
    assert (clash.location.name, clash.location.parent.name) == ("Rokha", "Rokha")
    assert clash.claims.count() == 2
    assert Event.objects.get(ucdp_ged_id=244657).fatalities_high == 5


# --- UCDP GED: one set of rows, every shape ------------------------------------------------------------

VIOLENCE_TEXT = [
    {"1": "State-based", "2": "Non-state", "3": "One-sided"},
    {"1": "state based", "2": "NON-STATE", "3": "onesided"},
    {"1": "State", "2": "nonstate", "3": "One-Sided"},
]


def _ucdp_shuffled():
    header = list(UCDP_COLUMNS)
    random.Random(3).shuffle(header)
    return header, UCDP_BASE, {}


UCDP_VARIANTS = {
    "base": lambda: (UCDP_COLUMNS, UCDP_BASE, {}),
    "utf-8 BOM": lambda: (UCDP_COLUMNS, UCDP_BASE, {"bom": True}),
    **{
        f"type_of_violence as text {n}": (
            lambda names=names: (
                UCDP_COLUMNS,
                _with(UCDP_BASE, type_of_violence=lambda v, i: names[v]),
                {},
            )
        )
        for n, names in enumerate(VIOLENCE_TEXT)
    },
    "dates without time": lambda: (
        UCDP_COLUMNS,
        _with(UCDP_BASE, date_start=lambda v, i: v[:10], date_end=lambda v, i: v[:10]),
        {},
    ),
    "shuffled columns": _ucdp_shuffled,
    "semicolon delimiter": lambda: (UCDP_COLUMNS, UCDP_BASE, {"delimiter": ";"}),
    "pandas index column": lambda: (UCDP_COLUMNS, UCDP_BASE, {"index": ""}),
}


@pytest.mark.parametrize("variant", UCDP_VARIANTS)
def test_every_shape_of_a_ucdp_file_reads_to_the_same_rows(tmp_path, variant):
    header, rows, options = UCDP_VARIANTS[variant]()
    reading = read_ucdp(write(tmp_path, to_bytes(header, rows, **options)))
    expected = normalised(ucdp_row(record, i + 2) for i, record in enumerate(UCDP_BASE))
    assert normalised(reading.rows) == expected
    assert reading.format == "ucdp" and reading.ignored_columns == []


def test_the_ucdp_base_rows_read_as_documented():
    first, second, third = (ucdp_row(record, i + 2) for i, record in enumerate(UCDP_BASE))
    assert first.fields["ucdp_ged_id"] == 244657
    assert first.fields["date_start"] == first.fields["date_end"] == date(2017, 1, 1)
    assert (first.fields["date_precision"], first.fields["geo_precision"]) == (1, 1)
    assert (
        first.fields["fatalities_low"],
        first.fields["fatalities_best"],
        first.fields["fatalities_high"],
    ) == (
        2,
        3,
        5,
    )
    assert first.fields["summary"] == "Government of Afghanistan - Taleban: 3 killed, Rokha town"
    assert first.fields["notes"] == "Rokha, Panjshir"
    assert first.fields["civilian_targeting"] is False
    assert first.sub_event_type == "armed-clash"
    assert first.places == ("Panjshir", "Rokha", "", "Rokha town")
    assert first.actors == [
        (ActorRef("Government of Afghanistan", "state_forces"), "side_a"),
        (ActorRef("Taleban", "rebel_group"), "side_b"),
    ]
    assert first.claims == [
        ClaimRow(
            source="Pajhwok Afghan News",
            report_key="ucdp:244657:Pajhwok Afghan News",
            report_title="Clash in Rokha",
            source_scale="other",
            published_on=date(2017, 1, 2),
        ),
        ClaimRow(
            source="BBC Monitoring",
            report_key="ucdp:244657:BBC Monitoring",
            report_title="Fighting in Panjshir",
            source_scale="other",
            published_on=date(2017, 1, 3),
        ),
    ]

    assert second.fields["date_precision"] == 3 and second.fields["date_end"] == date(2017, 2, 7)
    assert second.fields["summary"] == "IS – Taleban: 10 killed, Nangarhar"
    assert second.places == ("Nangarhar", "", "", "")  # where_prec 4: the province is the place
    assert second.country == CountryRef("Yemen", "YE", "YEM")
    assert [a[0].kind for a in second.actors] == ["rebel_group", "rebel_group"]
    assert second.claims == []  # source_original is not an outlet

    assert third.sub_event_type == "attack" and third.fields["civilian_targeting"] is True
    assert third.country.iso3 == "COD"
    assert third.places == ("Nord Kivu", "Beni territory", "", "Mamove village")
    assert third.actors == [
        (ActorRef("ADF", "rebel_group"), "side_a"),
        (ActorRef("Civilians", "civilians"), "side_b"),
    ]
    assert third.claims == [
        ClaimRow(
            source="Radio Okapi",
            report_key="ucdp:244659:Radio Okapi",
            report_title="Radio Okapi, as cited by UCDP GED for event 244659",
            source_scale="other",
            published_on=None,  # "not a date" is ignored, not refused
        )
    ]


@pytest.mark.parametrize(
    "changes, column, reason",
    [
        ({"high": "2"}, "high", "high 2 is below best 3"),
        ({"low": "4"}, "low", "low 4 is above best 3"),
        ({"best": ""}, "best", "blank"),
        ({"best": "-3"}, "best", "'-3' is not a whole number of deaths"),
        (
            {"date_end": "2017-01-03"},
            "date_prec",
            "date_prec 1 is one day but the dates span 2017-01-01 to 2017-01-03",
        ),
        (
            {"date_end": "2016-12-31", "date_prec": "3"},
            "date_end",
            "date_end 2016-12-31 is before date_start",
        ),
        ({"date_start": "01/02/2017"}, "date_start", "could be 1 February or 2 January"),
        ({"date_prec": "6"}, "date_prec", "not a valid UCDP date_prec code"),
        ({"where_prec": "8"}, "where_prec", "not a valid UCDP where_prec code"),
        ({"type_of_violence": "4"}, "type_of_violence", "'4' is not a UCDP type of violence"),
        ({"id": "abc"}, "id", "'abc' is not a UCDP GED id"),
        ({"latitude": "-91"}, "latitude", "out of range"),
        ({"country": "Gondor"}, "country", "unknown country 'Gondor'"),
        ({"side_a": ""}, "side_a", "blank"),
    ],
)
def test_a_bad_ucdp_row_is_refused_with_its_line_column_and_reason(tmp_path, changes, column, reason):
    rows = [UCDP_BASE[1], {**UCDP_BASE[0], **changes}]
    read = list(read_ucdp(write(tmp_path, to_bytes(UCDP_COLUMNS, rows))).rows)
    assert isinstance(read[0], EventRow)
    assert (read[1].line, read[1].column) == (3, column), read[1]
    assert reason in read[1].reason


def test_ucdp_sides_get_their_kinds_from_the_type_of_violence():
    def kinds(violence, side_a, side_b):
        row = ucdp_row({**UCDP_BASE[0], "type_of_violence": violence, "side_a": side_a, "side_b": side_b}, 2)
        return [(ref.kind, role) for ref, role in row.actors]

    assert kinds("1", "Government of Mali", "Government of Burkina Faso") == [
        ("state_forces", "side_a"),
        ("state_forces", "side_b"),
    ]
    assert kinds("1", "Government of Mali", "JNIM") == [("state_forces", "side_a"), ("rebel_group", "side_b")]
    assert kinds("3", "Government of Mali", "Civilians") == [
        ("state_forces", "side_a"),
        ("civilians", "side_b"),
    ]
    assert kinds("2", "JNIM", "") == [("rebel_group", "side_a")]


# --- files refused as a whole --------------------------------------------------------------------------


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


MALFORMED = {
    "empty": (b"", "The file is empty ({path})."),
    "only blank lines": (b"\xef\xbb\xbf\n\n  \n", "The file is empty ({path}): it has no header line."),
    "binary (PNG)": (
        PNG,
        "Binary content, not a text table: a NUL byte at byte offset 8 (it starts like a PNG image).",
    ),
    "Latin-1 text": (
        "event_id_cnty,country\nX1,Côte d'Ivoire\n".encode("latin-1"),
        "Not UTF-8: byte 0xf4 at byte offset 26 (line 2, character 5) cannot be decoded; save the file as "
        "UTF-8 (it may be Latin-1 or Windows-1252).",
    ),
    "missing columns, unknown layout": (
        b"event_id_cnty,event_date,notes,country\n",
        "Not a readable ACLED file: missing required columns event_type, sub_event_type, actor1, "
        "time_precision, geo_precision; the header looks like neither ACLED nor UCDP GED "
        "(comma-separated; first columns: 'event_id_cnty', 'event_date', 'notes', 'country').",
    ),
    "missing columns, ACLED layout": (
        b"event_id_cnty;event_type;sub_event_type;actor1;inter1;fatalities\n",
        "Not a readable ACLED file: missing required columns event_date, time_precision, geo_precision, "
        "country or iso or iso3; the header looks like an ACLED file with columns missing.",
    ),
    "a UCDP GED file": (
        to_bytes(UCDP_COLUMNS, UCDP_BASE),
        "Not a readable ACLED file: missing required columns event_id_cnty, event_date, event_type, "
        "sub_event_type, actor1, time_precision, geo_precision; the header looks like a UCDP GED file, not "
        "an ACLED file.",
    ),
    "a column twice": (
        to_bytes([*ACLED_COLUMNS, "Assoc_Actor_1"], ACLED_BASE),
        "Column 'assoc_actor_1' appears twice in the header (columns 9 and 32): keep one.",
    ),
    "a column twice, once under its old name": (
        to_bytes([*ACLED_COLUMNS, "ally_actor_1"], ACLED_BASE),
        "Column 'assoc_actor_1' appears twice in the header (columns 9 and 32, one under an old name): "
        "keep one.",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_acled_file_is_refused_with_one_clear_message(db, tmp_path, case):
    data, message = MALFORMED[case]
    path = write(tmp_path, data)
    with pytest.raises(FileRefused) as refused:
        list(read_acled(path).rows)
    assert str(refused.value) == message.format(path=path)


def test_an_acled_file_given_to_the_ucdp_reader_is_refused_saying_what_it_looks_like(tmp_path):
    with pytest.raises(FileRefused) as refused:
        read_ucdp(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE)))
    assert str(refused.value) == (
        "Not a readable UCDP GED file: missing required columns id, type_of_violence, side_a, date_start, "
        "date_end, date_prec, where_prec, best; the header looks like an ACLED file, not a UCDP GED file."
    )


def test_a_file_with_only_a_header_has_no_rows(db, tmp_path):
    reading = read_acled(write(tmp_path, to_bytes(ACLED_COLUMNS, [])))
    assert list(reading.rows) == []
    assert reading.columns == ACLED_COLUMNS


def test_a_truncated_last_line_refuses_the_file_once_reached(db, tmp_path):
    data = to_bytes(ACLED_COLUMNS, ACLED_BASE)
    cut = data[: data.rindex(b"Around 7 May")]  # inside the last row's quoted notes
    rows = read_acled(write(tmp_path, cut)).rows
    assert isinstance(next(rows), EventRow) and isinstance(next(rows), EventRow)
    with pytest.raises(FileRefused) as refused:
        next(rows)
    assert str(refused.value) == (
        "The file ends inside a quoted field that starts on line 4: the last line looks truncated "
        "(its closing quote is missing)."
    )


def test_bytes_that_are_not_utf8_past_the_first_64kb_refuse_the_file_naming_line_and_offset(db, tmp_path):
    data = to_bytes(ACLED_COLUMNS, [{**ACLED_BASE[1], "event_id_cnty": f"AFG{i}"} for i in range(400)])
    last_line = data.rindex(b"\n", 0, len(data) - 1) + 1  # where line 401 starts
    data = data[:last_line] + b"\xe9" + data[last_line + 1 :]
    assert last_line > 64 * 1024
    rows = read_acled(write(tmp_path, data)).rows
    read = []
    with pytest.raises(FileRefused) as refused:
        read.extend(rows)
    assert len(read) == 399
    assert str(refused.value).startswith(
        f"Not UTF-8: byte 0xe9 at byte offset {last_line} (line 401, character 1) cannot be decoded"
    )


# --- countries -----------------------------------------------------------------------------------------

ACLED_NAMES = {
    "Bailiwick of Guernsey": "GGY", "Bailiwick of Jersey": "JEY", "Cape Verde": "CPV",
    "Caribbean Netherlands": "BES", "Democratic Republic of Congo": "COD", "East Timor": "TLS",
    "Ivory Coast": "CIV", "Republic of Congo": "COG", "Turkey": "TUR", "Brunei": "BRN", "Curacao": "CUW",
    "Falkland Islands": "FLK", "Kosovo": "XKX", "Micronesia": "FSM", "Palestine": "PSE", "Reunion": "REU",
    "Russia": "RUS", "Saint-Barthelemy": "BLM", "Saint-Martin": "MAF", "Sint Maarten": "SXM",
    "Vatican City": "VAT", "Swaziland": "SWZ", "eSwatini": "SWZ", "Macedonia": "MKD", "Burma": "MMR",
    "Czech Republic": "CZE", "Afghanistan": "AFG", "Iran": "IRN", "Syria": "SYR", "Laos": "LAO",
    "North Korea": "PRK", "South Korea": "KOR", "Bolivia": "BOL", "Vietnam": "VNM", "United States": "USA",
    "DR Congo (Zaire)": "COD", "Yemen (North Yemen)": "YEM", "Russia (Soviet Union)": "RUS",
    "Cambodia (Kampuchea)": "KHM", "Bosnia-Herzegovina": "BIH", "Kingdom of eSwatini (Swaziland)": "SWZ",
    "Cote d'Ivoire": "CIV", "CÔTE D’IVOIRE": "CIV", "  democratic  republic of congo ": "COD",
    "Congo": "COG", "Cocos (Keeling) Islands": "CCK",
}  # fmt: skip


@pytest.mark.parametrize("name, iso3", ACLED_NAMES.items())
def test_country_names_the_datasets_use_resolve(name, iso3):
    assert country_ref(name=name).iso3 == iso3


def test_a_country_ref_keeps_the_files_name_and_takes_codes_from_the_table():
    assert country_ref(name="Democratic Republic of Congo", iso_numeric="180") == CountryRef(
        "Democratic Republic of Congo", "CD", "COD"
    )
    assert country_ref(name="DR Congo (Zaire)") == CountryRef("DR Congo", "CD", "COD")
    assert country_ref(name="Kosovo", iso_numeric="0") == CountryRef("Kosovo", "XK", "XKX")
    assert country_ref(iso_numeric=4) == CountryRef("Afghanistan", "AF", "AFG")
    assert country_ref(iso3="irn") == CountryRef("Iran", "IR", "IRN")
    assert country_ref(iso2="XK") == CountryRef("Kosovo", "XK", "XKX")
    assert (
        country_ref(name="Kosovo", iso_numeric="412").iso3 == "XKX"
    )  # an unassigned code is no contradiction
    assert iso_numeric("AFG") == 4 and iso_numeric("XKX") is None
    assert country_name_for_export("COD", "DR Congo") == "Democratic Republic of Congo"
    assert country_name_for_export("AFG", "Afghanistan") == "Afghanistan"


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"name": "Atlantis"}, "unknown country 'Atlantis'"),
        ({"name": "Kosova"}, "unknown country 'Kosova'"),  # never guessed
        (
            {"name": "Serbia", "iso3": "XKX"},
            "country 'Serbia' (SRB) does not match ISO alpha-3 code XKX (Kosovo, XKX)",
        ),
        ({"iso_numeric": "999"}, "unknown ISO numeric country code 999"),
        ({"iso3": "ZZZ"}, "unknown ISO alpha-3 country code 'ZZZ'"),
        ({}, "no country given (neither a name nor a code)"),
    ],
)
def test_an_unknown_or_contradictory_country_is_refused(kwargs, reason):
    with pytest.raises(ValueError) as refused:
        country_ref(**kwargs)
    assert str(refused.value) == reason


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-05-16", date(2025, 5, 16)),
        (" 2025-05-16 ", date(2025, 5, 16)),
        ("16 May 2025", date(2025, 5, 16)),
        ("03 December 2020", date(2020, 12, 3)),
        ("3 dec 2020", date(2020, 12, 3)),
        ("9-May-20", date(2020, 5, 9)),
        ("09-May-2020", date(2020, 5, 9)),
        ("9-SEPT-97", date(1997, 9, 9)),
        ("2025-05-16T00:00:00", date(2025, 5, 16)),
        ("2025-05-16T13:45:00Z", date(2025, 5, 16)),
        ("2025-05-16T23:30:00+02:00", date(2025, 5, 16)),
        ("2017-01-01 00:00:00.000", date(2017, 1, 1)),
        ("16/05/2020", date(2020, 5, 16)),
        ("05/16/2020", date(2020, 5, 16)),
        ("05/05/2020", date(2020, 5, 5)),
        ("16.05.2020", date(2020, 5, 16)),
    ],
)
def test_dates_in_every_accepted_form(text, expected):
    assert parse_date(text) == expected


def test_two_digit_years_00_to_69_are_2000s_and_70_to_99_are_1900s():
    assert [full_year(y) for y in (0, 22, 69, 70, 97, 99)] == [2000, 2022, 2069, 1970, 1997, 1999]
    assert parse_date("1-Jan-69") == date(2069, 1, 1)
    assert parse_date("1-Jan-70") == date(1970, 1, 1)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("05/06/2020", "05/06/2020 could be 5 June or 6 May; write it as YYYY-MM-DD"),
        ("12/11/2020", "12/11/2020 could be 12 November or 11 December"),
        ("2022-02-30", "'2022-02-30': no such day"),
        ("30-Feb-22", "'30-Feb-22': no such day"),
        ("2022-13-01", "'2022-13-01': no such month (13)"),
        ("31/13/2020", "no such day (neither 31 nor 13 is a month)"),
        ("16 Mai 2025", "'Mai' is not an English month name"),
        ("2025-05-16T25:00:00", "no such time of day"),
        ("", "no date given"),
        ("yesterday", "'yesterday' is not a date in a known form"),
        ("45000", "is not a date in a known form"),
    ],
)
def test_ambiguous_impossible_and_unknown_dates_are_refused(text, reason):
    with pytest.raises(ValueError) as refused:
        parse_date(text)
    assert reason in str(refused.value)
