"""The offline site: the page the generator writes, and the import of its export file (checksums, tampering, repeats)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, fields
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from survey.__main__ import main
from survey.campaigns import create_campaign, start_wave
from survey.instrument import Instrument, default_instrument, parse_instrument
from survey.offline.records import (
    FORMAT,
    FORMAT_VERSION,
    OfflineFileError,
    canonical,
    derive_keys,
    import_export,
    new_keys,
    record_mac,
)
from survey.offline.site import questionnaire, write_site
from survey.responses import Submission
from tests.conftest import run_main

CODE = "plant-kiosk-2026"
ITERATIONS = 1_000  # the page's real count (600,000) only makes the tests slower; the file carries its count


@pytest.fixture
def plant(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> duckdb.DuckDBPyConnection:
    create_campaign(con, "Plant", instrument, campaign_id="plant")
    return con


def spec_of(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="spec">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


def record(instrument: Instrument, *, language: str = "nl", value: int = 4, **changes: object) -> dict:
    """A response as the page writes it: every item (a value, 'dk' or null), attributes, comments, losses, a random UUID."""
    answers: dict[str, object] = {item: value for item in instrument.item_ids}
    answers[instrument.item_ids[0]] = "dk"
    answers[instrument.item_ids[1]] = None
    data = {
        "uuid": str(uuid.uuid4()),
        "campaign": "plant",
        "wave": 1,
        "instrument": instrument.key,
        "language": language,
        "attributes": {"level": "shop_floor", "function": "production", "site": "venlo"},
        "answers": answers,
        "comments": {"strategy": "Meer uitleg op de vloer"},
        "losses": ["unplanned_downtime"],
    }
    data.update(changes)
    return data


def export_file(records: list[dict], code: str = CODE, salt: bytes = b"0123456789abcdef", *, sign_with: str | None = None) -> bytes:
    """The file the page downloads: header, and each record's canonical text with its HMAC."""
    keys = derive_keys(code, salt, ITERATIONS)
    signer = derive_keys(sign_with, salt, ITERATIONS) if sign_with else keys
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "campaign": "plant",
        "wave": 1,
        "instrument": records[0]["instrument"] if records else "industry40-alignment@2",
        "salt": salt.hex(),
        "iterations": ITERATIONS,
        "verifier": keys.verifier.hex(),
        "records": [{"uuid": r["uuid"], "record": canonical(r), "hmac": record_mac(signer.record_key, canonical(r))} for r in records],
    }
    return json.dumps(doc, indent=1).encode()


def rated_instrument() -> Instrument:
    """The default instrument with a targets and a meta-perception block, shaped as the instrument model that adds them has them."""
    base = default_instrument()

    @dataclass(frozen=True)
    class Rated(Instrument):
        targets: object = None
        meta_perception: object = None

    dims = {d.id: d.label for d in base.dimensions}
    in_two_years = {d: {"en": f"{t['en']} in two years", "nl": f"{t['nl']} over twee jaar"} for d, t in dims.items()}
    about = {
        option: {
            d: {"en": f"How would {option} rate our {t['en']}?", "nl": f"Hoe zou {option} onze {t['nl']} beoordelen?"}
            for d, t in dims.items()
        }
        for option in ("board", "shop_floor")
    }
    return Rated(
        **{f.name: getattr(base, f.name) for f in fields(Instrument) if f.name not in ("targets", "meta_perception")},
        targets=SimpleNamespace(prompt={"en": "Where should we be?", "nl": "Waar moeten we staan?"}, questions=in_two_years),
        meta_perception=SimpleNamespace(
            attribute="level", prompt={"en": "How do others see us?", "nl": "Hoe zien anderen ons?"}, questions=about
        ),
    )


def test_rating_blocks_are_in_the_page_and_their_answers_stored_or_refused_as_the_model_allows(plant, instrument, tmp_path):
    """Targets and predictions reach the page's questionnaire; their import needs a Submission that can hold them, never drops them."""
    rated = rated_instrument()
    q = questionnaire(rated)
    assert [t["id"] for t in q["targets"]["questions"]] == list(rated.dimension_ids)
    assert [a["id"] for a in q["meta_perception"]["about"]] == ["board", "shop_floor"]
    assert q["meta_perception"]["about"][0]["label"]["nl"] == "Bestuur / directieteam"
    assert questionnaire(instrument)["targets"] is None or hasattr(instrument, "targets")
    with_ratings = record(instrument, targets={"strategy": 4}, predictions={"board": {"strategy": 2}})
    can_store = {"targets", "predictions"} <= {f.name for f in fields(Submission)}
    if can_store:  # once the instrument model with rating blocks is merged: stored, one row per answered rating
        create_campaign(plant, "Rated", rated, campaign_id="rated")
        assert import_export(plant, export_file([with_ratings]), "rated.json", CODE).added == 1
        assert plant.execute("SELECT count(*) FROM dimension_ratings").fetchone()[0] == 2
        return
    with pytest.raises(OfflineFileError, match="predictions, targets: this version of Coherence Scan cannot store them"):
        import_export(plant, export_file([with_ratings]), "rated.json", CODE)
    assert stored(plant) == []


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT source, submission_key, language FROM responses ORDER BY submission_key").fetchall()


# --------------------------------------------------------------------------- the generator


def test_page_holds_the_wave_in_every_language_and_the_code_only_as_a_salted_hash(plant, instrument, tmp_path):
    site = write_site(plant, "plant", CODE, tmp_path / "site", iterations=ITERATIONS)
    page = site.path.read_text(encoding="utf-8")
    assert site.size_bytes == len(page.encode("utf-8"))
    spec = spec_of(page)
    q = spec["questionnaire"]
    assert q["languages"] == ["en", "nl"]
    assert [i["id"] for d in q["dimensions"] for i in d["items"]] == list(instrument.item_ids)
    assert [a["id"] for a in q["attributes"]] == list(instrument.attributes)
    assert q["scale"]["labels"]["nl"][3] == "Eens" and q["scale"]["dont_know_label"]["nl"] == "Weet ik niet"
    assert [loss["id"] for loss in q["value_at_stake"]["losses"]] == list(instrument.value_at_stake.losses)
    assert all(d["comment_prompt"]["nl"] for d in q["dimensions"])
    assert set(spec["texts"]) == {"en", "nl"} and spec["texts"]["nl"]["start"] == "Start de vragenlijst"
    assert (spec["campaign"], spec["wave"], spec["instrument"]) == ("plant", 1, instrument.key)
    assert CODE not in page
    keys = derive_keys(CODE, bytes.fromhex(spec["kdf"]["salt"]), spec["kdf"]["iterations"])
    assert spec["kdf"]["verifier"] == keys.verifier.hex()
    assert keys.record_key.hex() not in page


def test_every_word_the_script_uses_is_given_in_every_language():
    from survey.offline.site import HERE, _texts

    script = (HERE / "static" / "survey.js").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("(\w+)"', script))
    texts = _texts(("en", "nl", "de"))
    assert used and all(set(words) == used for words in texts.values())
    assert texts["de"]["start"] == texts["en"]["start"]  # a language the interface lacks falls back to English, as in the app


def test_two_sites_get_different_salts(plant, tmp_path):
    one = spec_of(write_site(plant, "plant", CODE, tmp_path / "a", iterations=ITERATIONS).path.read_text())
    two = spec_of(write_site(plant, "plant", CODE, tmp_path / "b", iterations=ITERATIONS).path.read_text())
    assert one["kdf"]["salt"] != two["kdf"]["salt"] and one["kdf"]["verifier"] != two["kdf"]["verifier"]
    assert one["site"] != two["site"]


def test_the_default_count_is_owasps_and_a_short_code_is_refused():
    assert new_keys(CODE, ITERATIONS).iterations == ITERATIONS
    with pytest.raises(ValueError, match="at least 8 characters"):
        new_keys("1234")
    from survey.offline.records import PBKDF2_ITERATIONS

    assert PBKDF2_ITERATIONS >= 600_000


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def test_nothing_in_the_page_can_load_or_send_anything(plant, tmp_path):
    page = write_site(plant, "plant", CODE, tmp_path / "site", iterations=ITERATIONS).path.read_text()
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert not {"src", "href", "action", "srcset", "poster"} & set(attrs), (tag, attrs)
    assert [tag for tag, _ in parser.tags].count("script") == 2
    csp = next(a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "form-action 'none'" in csp
    assert not re.search(r"\b(fetch|XMLHttpRequest|sendBeacon|WebSocket|EventSource|importScripts)\b", page)


def test_instrument_texts_cannot_end_the_script_they_sit_in(con, instrument, tmp_path):
    hostile = instrument.source_text.replace('"Industry 4.0 Coherence Scan"', '"</script><script>alert(1)</script>"')
    assert hostile != instrument.source_text
    create_campaign(con, "Hostile", parse_instrument(hostile), campaign_id="hostile")
    page = write_site(con, "hostile", CODE, tmp_path / "site", iterations=ITERATIONS).path.read_text()
    parser = _Tags()
    parser.feed(page)
    assert [tag for tag, _ in parser.tags].count("script") == 2
    assert spec_of(page)["questionnaire"]["title"]["en"] == "</script><script>alert(1)</script>"


def test_a_site_for_an_earlier_wave_names_that_wave(plant, tmp_path):
    start_wave(plant, "plant", "Wave 2")
    assert spec_of(write_site(plant, "plant", CODE, tmp_path / "w1", wave=1, iterations=ITERATIONS).path.read_text())["wave"] == 1
    assert spec_of(write_site(plant, "plant", CODE, tmp_path / "w2", iterations=ITERATIONS).path.read_text())["wave"] == 2


# --------------------------------------------------------------------------- the import of an export file


def test_import_adds_each_response_once_with_source_offline(plant, instrument):
    first = [record(instrument), record(instrument, language="en"), record(instrument)]
    done = import_export(plant, export_file(first), "tablet-1.json", CODE)
    assert (done.added, done.already) == (3, 0)
    assert {row[0] for row in stored(plant)} == {"offline"}
    assert plant.execute("SELECT count(*) FROM answers WHERE value IS NULL").fetchone()[0] == 6  # a don't know and an open item each
    again = import_export(plant, export_file(first), "tablet-1.json", CODE)
    assert (again.added, again.already) == (0, 3)
    overlapping = import_export(plant, export_file([first[2], record(instrument)]), "tablet-1-later.json", CODE)
    assert (overlapping.added, overlapping.already) == (1, 1)
    assert len(stored(plant)) == 4
    assert plant.execute("SELECT sum(rows) FROM imports").fetchone()[0] == 4


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda text: text.replace('"shop_floor"', '"board"'), id="attribute changed"),
        pytest.param(lambda text: text.replace(":4,", ":1,", 1), id="answer changed"),
        pytest.param(lambda text: text.replace("Meer uitleg", "Minder uitleg"), id="comment changed"),
    ],
)
def test_a_tampered_record_is_refused_by_number_and_uuid_and_nothing_is_written(plant, instrument, tamper):
    records = [record(instrument), record(instrument)]
    doc = json.loads(export_file(records))
    doc["records"][1]["record"] = tamper(doc["records"][1]["record"])
    assert doc["records"][1]["record"] != canonical(records[1])
    with pytest.raises(OfflineFileError) as refused:
        import_export(plant, json.dumps(doc).encode(), "edited.json", CODE)
    assert [str(p) for p in refused.value.problems] == [
        f"record 2 ({records[1]['uuid']}): checksum does not match: the record was changed after export (tampered or damaged)"
    ]
    assert stored(plant) == []


def test_a_record_forged_without_the_code_is_refused(plant, instrument):
    """Who reads the page knows the salt and the verifier, not the code: a record signed with another code fails."""
    forged = export_file([record(instrument)], sign_with="a-guessed-code")
    with pytest.raises(OfflineFileError, match="record 1 .*checksum does not match"):
        import_export(plant, forged, "forged.json", CODE)
    assert stored(plant) == []


def test_a_plain_sha256_would_not_have_caught_it(plant, instrument):
    """Why an HMAC: recomputing a SHA-256 after the edit is what anyone can do; here the checksum is recomputed and still refused."""
    import hashlib

    doc = json.loads(export_file([record(instrument)]))
    doc["records"][0]["record"] = doc["records"][0]["record"].replace('"shop_floor"', '"board"')
    doc["records"][0]["hmac"] = hashlib.sha256(doc["records"][0]["record"].encode()).hexdigest()
    with pytest.raises(OfflineFileError, match="checksum does not match"):
        import_export(plant, json.dumps(doc).encode(), "recomputed.json", CODE)


def test_the_wrong_code_is_named_as_such(plant, instrument):
    with pytest.raises(OfflineFileError, match="wrong export code"):
        import_export(plant, export_file([record(instrument)]), "tablet.json", "not-the-code")


def test_invalid_answers_are_refused_record_by_record(plant, instrument):
    bad = record(instrument, value=9)
    other = record(instrument, attributes={"level": "shop_floor", "function": "production"})
    with pytest.raises(OfflineFileError) as refused:
        import_export(plant, export_file([record(instrument), bad, other]), "bad.json", CODE)
    lines = [str(p) for p in refused.value.problems]
    assert any(line.startswith(f"record 2 ({bad['uuid']}): ") and "outside the scale 1–5" in line for line in lines)
    assert any(line.startswith(f"record 3 ({other['uuid']}): site: required, missing") for line in lines)
    assert stored(plant) == []


def test_a_record_for_another_campaign_or_wave_is_refused(plant, instrument):
    moved = record(instrument, wave=2)
    with pytest.raises(OfflineFileError, match=r"record 1 .*wave: 2, but the file is for 1"):
        import_export(plant, export_file([moved]), "moved.json", CODE)


def test_answers_go_to_the_sites_wave_after_a_new_wave_opened(plant, instrument):
    start_wave(plant, "plant", "Wave 2")
    import_export(plant, export_file([record(instrument)]), "late.json", CODE)
    assert plant.execute("SELECT wave, source FROM responses").fetchall() == [(1, "offline")]


def test_a_huge_iteration_count_is_refused_before_any_work(plant, instrument):
    doc = json.loads(export_file([record(instrument)]))
    doc["iterations"] = 10**12
    with pytest.raises(OfflineFileError, match="iterations"):
        import_export(plant, json.dumps(doc).encode(), "slow.json", CODE)


# --------------------------------------------------------------------------- the command line


def test_command_line_generates_and_imports(plant, db, instrument, tmp_path):
    db.close()
    out = run_main(main, "offline", "--campaign", "plant", "--export-code", CODE, "--out", tmp_path / "site", "--db", db.path)
    assert out.returncode == 0, out.stderr
    assert "bytes, one file" in out.stdout and (tmp_path / "site" / "index.html").is_file()
    short = run_main(main, "offline", "--campaign", "plant", "--export-code", "short", "--out", tmp_path / "x", "--db", db.path)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    path = tmp_path / "tablet.json"
    path.write_bytes(export_file([record(instrument), record(instrument)]))
    first = run_main(main, "import", path, "--export-code", CODE, "--db", db.path)
    assert first.returncode == 0, first.stderr
    assert "imported 2 new responses" in first.stdout
    again = run_main(main, "import", path, "--export-code", CODE, "--db", db.path)
    assert again.returncode == 0 and "imported 0 new responses" in again.stdout and "2 were already imported" in again.stdout
    doc = json.loads(path.read_text())
    doc["records"][0]["record"] = doc["records"][0]["record"].replace('"venlo"', '"gent"')
    path.write_text(json.dumps(doc))
    tampered = run_main(main, "import", path, "--export-code", CODE, "--db", db.path)
    assert tampered.returncode == 1 and f"record 1 ({doc['records'][0]['uuid']}): checksum does not match" in tampered.stderr


def test_round_trip_through_a_real_file(tmp_path: Path, instrument: Instrument) -> None:
    """The generator's salt and count are what the import reads back (the browser test signs in the page itself)."""
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        from survey.store import migrate

        migrate(con)
        create_campaign(con, "Plant", instrument, campaign_id="plant")
        spec = spec_of(write_site(con, "plant", CODE, tmp_path / "site", iterations=ITERATIONS).path.read_text())
        data = export_file([record(instrument)], salt=bytes.fromhex(spec["kdf"]["salt"]))
        assert import_export(con, data, "t.json", CODE).added == 1
