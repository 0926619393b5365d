"""A broken config file gets one sentence naming the key and the problem, never a traceback."""

import subprocess
import sys

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
