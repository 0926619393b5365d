"""A broken config file gets one sentence naming the key and the problem, never a traceback."""

import copy
import re
import subprocess
import sys
import tomllib

import pytest

from clamor.config import DEMO_CONFIG, ConfigError, load_config, parse_config

VALID = DEMO_CONFIG.read_text(encoding="utf-8")


def write(tmp_path, text):
    path = tmp_path / "clamor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_demo_config_loads_with_all_five_languages():
    config = load_config(DEMO_CONFIG)
    assert set(config.watchlist.languages) == {"en", "fa", "ar", "th", "el"}
    assert {t.kind for t in config.watchlist.terms} == {"brand", "product", "staff", "company",
                                                        "competitor"}
    assert config.accounts.is_own("x", "@aerolumehelp")
    assert not config.accounts.is_own("x", "@someone")


def test_invalid_toml_names_the_file_and_line(tmp_path):
    path = write(tmp_path, VALID + "\n[watchlist\nterms = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert "not valid TOML" in str(err.value) and "line" in str(err.value)


def test_wrong_term_kind_names_the_key(tmp_path):
    path = write(tmp_path, VALID.replace('kind = "staff"', 'kind = "staf"', 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "watchlist.terms[4].kind" in message
    assert "'brand', 'product', 'staff', 'company' or 'competitor'" in message


def test_a_competitor_is_a_kind_of_term_and_routing_may_name_it():
    config = parse_config({
        "brand": {"name": "Aerolume"},
        "watchlist": {"terms": [{"term": "Aerolume", "kind": "brand"},
                                {"term": "Skyvane", "kind": "competitor",
                                 "aliases": ["اسکای‌وین"]}]},
        "teams": [{"name": "Retention"}],
        "routing": [{"kind": "competitor", "team": "Retention"}],
    })
    assert [t.kind for t in config.watchlist.terms] == ["brand", "competitor"]
    assert config.routing[0].kind == "competitor"
    demo = {t.term: t.kind for t in load_config(DEMO_CONFIG).watchlist.terms}
    assert demo["Skyvane"] == demo["Nordhavn Air"] == "competitor"


def test_misspelt_key_is_pointed_at(tmp_path):
    path = write(tmp_path, VALID.replace("poll_minutes = 5\n", "pol_minutes = 5\n", 1))
    with pytest.raises(ConfigError, match=r"sources\.x\.pol_minutes is not a known key"):
        load_config(path)


def test_unknown_language_and_missing_section(tmp_path):
    path = write(tmp_path, '[brand]\nname = "X"\n')
    with pytest.raises(ConfigError, match="watchlist is required"):
        load_config(path)
    path = write(tmp_path, VALID.replace('"el"]', '"klingon"]', 1))
    with pytest.raises(ConfigError,
                       match=r"watchlist\.languages: unknown language code\(s\) klingon"):
        load_config(path)


def test_missing_file_says_how_to_start(tmp_path):
    with pytest.raises(ConfigError, match="no such file. Copy"):
        load_config(tmp_path / "nope.toml")


def test_cli_reports_a_broken_config_in_one_line_without_traceback(tmp_path):
    path = write(tmp_path, "this is = = not toml")
    result = subprocess.run(
        [sys.executable, "-m", "clamor.cli", "status", "--config", str(path),
         "--db", str(tmp_path / "x.duckdb")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("clamor: ") and "not valid TOML" in result.stderr


def test_every_config_key_is_shown_in_the_documented_demo_config():
    """The demo config is the reference users copy: a key missing there is a key nobody finds
    (compare Datasette's test that every setting is documented)."""
    import re

    from pydantic import BaseModel

    from clamor import config as cfg

    text = cfg.DEMO_CONFIG.read_text(encoding="utf-8")
    written = set(re.findall(r"^[#\s]*\[*([a-z_]+)\]*\s*=", text, flags=re.M))
    for header in re.findall(r"^[#\s]*\[\[?([a-z_.]+)", text, flags=re.M):
        written |= set(header.split("."))
    missing = []
    seen: set[type] = set()

    def walk(model: type[BaseModel], where: str) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            if name == "path":
                continue
            if name not in written:
                missing.append(f"{where}{name}")
            for sub in _models(field.annotation):
                walk(sub, f"{where}{name}.")

    def _models(annotation) -> list[type[BaseModel]]:
        found = []
        for arg in (getattr(annotation, "__args__", None) or (annotation,)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found.append(arg)
            elif getattr(arg, "__args__", None):
                found.extend(_models(arg))
        return found

    walk(cfg.Config, "")
    assert not missing, f"not shown in {cfg.DEMO_CONFIG.name}: {', '.join(missing)}"


# -- every place in the file, broken: one sentence naming that place (issue 8) ---------------

DEMO = tomllib.loads(VALID)
# pydantic's words, which mean nothing to someone editing a TOML file
JARGON = re.compile(r"valid tuple|valid dictionary|instance of|dict\[|Input should|Value error")


def _places(node, at=()):
    """(path, value) of every table, array and value in a parsed TOML document."""
    yield at, node
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, value in children:
        yield from _places(value, (*at, key))


def _named(path) -> str:
    """A path as messages write it: teams[0].hours.mon-fri."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def _with(path, value) -> dict:
    data = copy.deepcopy(DEMO)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def _problem(data) -> str | None:
    try:
        parse_config(data, source="clamor.toml")
    except ConfigError as exc:
        return str(exc)
    return None


def test_an_unknown_key_in_any_table_is_named_with_its_place():
    """Top level, nested ([sources.x], [alerts.series."term=SkyPoints"]) and in arrays of
    tables ([[routing]], [[standards]], [[people]], [[watchlist.terms]])."""
    tables = [path for path, node in _places(DEMO) if isinstance(node, dict)
              and not (path and path[-1] in ("hours", "shift", "series"))]  # (keys: names)
    assert {("routing", 0), ("standards", 0), ("sources", "x"),
            ("alerts", "series", "term=SkyPoints")} <= set(tables)
    for path in tables:
        message = _problem(_with((*path, "colour"), "blue"))
        assert message == f"clamor.toml: {_named((*path, 'colour'))} is not a known key " \
                          "(misspelt?)", path


@pytest.mark.parametrize("wrong", [5, 2.5, True, "text", ["a", 1], {"a": 1}, 2**70],
                         ids=repr)
def test_a_wrong_type_anywhere_is_named_with_its_place_in_plain_words(wrong):
    """Every value, array and table of the demo config replaced by a value of another type:
    accepted (where TOML's words allow it, "5" for a number) or refused by a sentence that
    names the place — never a traceback, never pydantic's vocabulary."""
    for path, node in _places(DEMO):
        if not path or type(node) is type(wrong):
            continue
        message = _problem(_with(path, wrong))
        if message is None:
            continue
        place = _named(path)
        named = place in message or _named(path[:-1]) in message or (
            isinstance(path[-1], int) and _named(path[:-2]) in message)
        assert named and not JARGON.search(message), (place, message)


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["routing"][0].update(team=["Loyalty"]), "routing[0].team should be text"),
    (lambda d: d["routing"].append("Loyalty"), "routing[7] should be a table"),
    (lambda d: d["standards"][0].update(percentile="ninety"), "standards[0].percentile "
                                                              "should be a number"),
    (lambda d: d["standards"][0].update(target_minutes=0), "standards[0].target_minutes "
                                                           "should be greater than 0"),
    (lambda d: d.update(standards={"name": "x"}), "standards should be a list"),
    (lambda d: d["teams"][0].update(hours=9), 'teams[0].hours should be "24/7" or a table'),
    (lambda d: d["people"][0].update(shift={"mon": 9}), "people[0].shift should be"),
    (lambda d: d["people"][0].update(timezone="Mars/Base"),
     "people[0] (Eleni Markou): Unknown time zone 'Mars/Base'"),
    (lambda d: d["watchlist"]["terms"][0].update(aliases="Aerolum"),
     'watchlist.terms[0].aliases should be a list, such as ["a", "b"]'),
    (lambda d: d.update(path="/etc/passwd"), "path is not a known key"),
], ids=["routing-team-list", "routing-entry-text", "standard-percentile-text",
        "standard-minutes-zero", "standards-one-table", "team-hours-number",
        "person-shift-day-number", "person-timezone", "aliases-text", "path-key"])
def test_wrong_types_in_routing_standards_and_shifts_say_what_to_write(change, expected):
    data = copy.deepcopy(DEMO)
    change(data)
    message = _problem(data)
    assert message is not None and expected in message, message
    assert "the file:" not in message and not JARGON.search(message)


@pytest.mark.parametrize("content, expected", [
    (None, "is a folder, not a config file"),
    (b"", "brand is required; watchlist is required"),
    (b"\xff\xfe[\x00b\x00", "is not UTF-8 text"),
    (b"[brand]\nname = \"A\"\x00\n", "is not valid TOML"),
], ids=["a-folder", "empty", "utf16", "nul-byte"])
def test_a_config_that_is_no_config_file_gets_a_sentence(tmp_path, content, expected):
    path = tmp_path / "clamor.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_config(path)


def test_a_term_names_a_company_for_share_of_voice(tmp_path):
    config = load_config(DEMO_CONFIG)
    brand = config.brand.name
    by_term = {t.term: t.company_name(brand) for t in config.watchlist.terms}
    # without `company`: our terms are the brand's, a competitor is its own company
    assert by_term["SkyPoints"] == by_term["Aerolume Group"] == "Aerolume"
    assert by_term["Skyvane"] == "Skyvane"
    # a competitor's app counts for its maker; existing files need no change
    text = VALID.replace('term = "Nordhavn Air"', 'term = "Nordhavn Air"\ncompany = "Nordhavn"')
    config = load_config(write(tmp_path, text))
    (nordhavn,) = [t for t in config.watchlist.terms if t.term == "Nordhavn Air"]
    assert nordhavn.company_name(brand) == "Nordhavn"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text.replace('company = "Nordhavn"', 'company = " "')))
    assert "company" in str(err.value) and "empty" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text.replace('company = "Nordhavn"', 'firm = "Nordhavn"')))
    assert "firm" in str(err.value)
