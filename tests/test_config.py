import pytest

import preo_nb
from preo_nb.config import load_settings
from preo_nb.errors import ConfigurationError

TOKEN = "tok_" + "x" * 24


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("PREO_API_TOKEN", "PREO_BASE_URL", "PREO_TIMEOUT", "PREO_NB_CASSETTE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_arguments_beat_environment_which_beats_dotenv(clean_env, monkeypatch):
    (clean_env / ".env").write_text(
        "PREO_API_TOKEN=from_dotenv_123\nPREO_BASE_URL=https://dotenv.example\nPREO_TIMEOUT=7\n"
    )
    settings = load_settings()
    assert (settings.token, settings.base_url, settings.timeout) == ("from_dotenv_123", "https://dotenv.example", 7.0)
    monkeypatch.setenv("PREO_BASE_URL", "https://env.example/")
    assert load_settings().base_url == "https://env.example"
    assert load_settings(base_url="https://arg.example").base_url == "https://arg.example"


def test_default_base_url(clean_env):
    assert load_settings(token=TOKEN).base_url == "https://api.preo.dev"


def test_missing_token_says_where_to_put_it(clean_env):
    with pytest.raises(ConfigurationError, match="PREO_API_TOKEN") as info:
        preo_nb.connect()
    assert info.value.field == "token"


def test_malformed_dotenv_names_the_line(clean_env):
    (clean_env / ".env").write_text("PREO_API_TOKEN=abc\nthis is not a binding\n")
    with pytest.raises(ConfigurationError, match="line 2"):
        load_settings()


@pytest.mark.parametrize("url", ["http://api.preo.dev", "http://10.0.0.5:8000", "ftp://127.0.0.1", "not a url",
                                 "https://user:pw@api.preo.dev"])
def test_unsafe_or_malformed_base_urls_are_refused(clean_env, url):
    with pytest.raises(ConfigurationError) as info:
        load_settings(base_url=url, token=TOKEN)
    assert info.value.field == "base_url"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80", "https://x.example"])
def test_https_and_loopback_are_accepted(clean_env, url):
    assert load_settings(base_url=url, token=TOKEN).base_url == url


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan"])
def test_bad_timeouts_are_refused(clean_env, value):
    with pytest.raises(ConfigurationError) as info:
        load_settings(token=TOKEN, timeout=value)
    assert info.value.field == "timeout"


def test_token_never_shown(clean_env):
    preo = preo_nb.connect(base_url="http://127.0.0.1:9", token=TOKEN)
    for text in (repr(preo), str(preo), repr(preo.settings), repr(preo._http), repr(preo._http.session.auth)):
        assert TOKEN not in text


def test_token_with_a_newline_is_refused_without_echoing_it(clean_env):
    with pytest.raises(ConfigurationError) as info:
        load_settings(token="secret\nX-Evil: 1")
    assert "secret" not in str(info.value)
