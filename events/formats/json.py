"""An event record as the API's JSON (EventSerializer's and EventDetailSerializer's declared shapes, built
directly).

DRF's generic field walk costs most of a list request; this builds the same output from a record. A test
checks it against DRF's generic rendering of the declared serializer for every kind of event, so the
schema (the contract) and this function cannot drift apart.
"""

import datetime

from ..models import SUBJECT_PREFIXES


def _datetime(value):
    """What DRF's DateTimeField writes with TIME_ZONE = "UTC" (settings; a test compares the two): ISO 8601
    in UTC, `Z` for +00:00. DRF's own field costs more than the rest of the row."""
    if value is None:
        return None
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value):
    return None if value is None else value.isoformat()


def _brief_actor(actor_id, name, acronym, kind):
    return None if actor_id is None else {"id": actor_id, "name": name, "acronym": acronym, "kind": kind}


def _brief_place(place_id, name, level, pcode) -> dict:
    return {"id": place_id, "name": name, "level": level, "pcode": pcode}


def event_json(record: dict) -> dict:
    latitude, longitude, origin = record["point"]
    return {
        "id": record["id"],
        "date_start": record["date_start"].isoformat(),
        "date_end": record["date_end"].isoformat(),
        "date_precision": record["date_precision"],
        "event_type": {"slug": record["event_type__slug"], "name": record["event_type__name"]},
        "sub_event_type": {"slug": record["sub_event_type__slug"], "name": record["sub_event_type__name"]},
        "location": {
            **_brief_place(
                record["location_id"],
                record["location__name"],
                record["location__level"],
                record["location__pcode"],
            ),
            "ancestors": [_brief_place(a.pk, a.name, a.level, a.pcode) for a in record["ancestors"]],
        },
        "geo_precision": record["geo_precision"],
        "latitude": record["latitude"],
        "longitude": record["longitude"],
        "point_latitude": latitude,
        "point_longitude": longitude,
        "coordinates_from": origin,
        "actors": [
            {
                "actor": {"id": r["id"], "name": r["name"], "acronym": r["acronym"], "kind": r["kind"]},
                "role": r["role"],
            }
            for r in record["roles"]
        ],
        "fatalities_low": record["fatalities_low"],
        "fatalities_best": record["fatalities_best"],
        "fatalities_high": record["fatalities_high"],
        "claimed_fatalities_low": record["claimed_fatalities_low"],
        "claimed_fatalities_high": record["claimed_fatalities_high"],
        "civilian_targeting": record["civilian_targeting"],
        "summary": record["summary"],
        "notes": record["notes"],
        "tags": record["tags"],
        "acled_event_id": record["acled_event_id"],
        "ucdp_ged_id": record["ucdp_ged_id"],
        "verification": {
            "status": record["verification"],
            "reason": record["verification_reason"],
            "independent_reports": record["independent_reports"],
            "verdict": record["verdict"] or None,
            "verdict_reason": record["verdict_reason"],
            "verdict_at": _datetime(record["verdict_at"]),
            "subjects": {
                subject: {
                    "status": record[f"{prefix}_verification"] or None,
                    "reason": record[f"{prefix}_reason"],
                }
                for subject, prefix in SUBJECT_PREFIXES.items()
            },
        },
        "created_at": _datetime(record["created_at"]),
        "updated_at": _datetime(record["updated_at"]),
    }


def claim_json(claim: dict) -> dict:
    """A claim record (`rows.CLAIM_FIELDS`) as EventClaimSerializer declares it."""
    return {
        "id": claim["id"],
        "claimed_on": _date(claim["claimed_on"]),
        "claimant": _brief_actor(
            claim["claimant_id"], claim["claimant__name"], claim["claimant__acronym"], claim["claimant__kind"]
        ),
        "speaker": _brief_actor(
            claim["speaker_id"], claim["speaker__name"], claim["speaker__acronym"], claim["speaker__kind"]
        ),
        "stance": claim["stance"],
        "subject": claim["subject"],
        "casualties_of": claim["casualties_of"] or None,
        "quote": claim["quote"],
        "claimed_fatalities_low": claim["claimed_fatalities_low"],
        "claimed_fatalities_high": claim["claimed_fatalities_high"],
        "report": {
            "id": claim["report_id"],
            "title": claim["report__title"],
            "source": {
                "id": claim["report__source_id"],
                "name": claim["report__source__name"],
                "kind": claim["report__source__kind"],
            },
            "published_on": _date(claim["report__published_on"]),
            "url": claim["report__url"],
        },
        "notes": claim["notes"],
    }


def event_detail_json(record: dict, claims: list[dict]) -> dict:
    """An event record and its claim records as EventDetailSerializer declares them."""
    return {**event_json(record), "claims": [claim_json(claim) for claim in claims]}
