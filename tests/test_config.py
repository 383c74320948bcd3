import pytest

import preo_nb
from preo_nb.config import ENV_NAMES, load_settings
from preo_nb.errors import ConfigurationError

TOKEN = "tok_" + "x" * 24


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (*ENV_NAMES, "PREO_NB_CASSETTE"):
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


@pytest.mark.parametrize(
    "url",
    ["http://api.preo.dev", "http://10.0.0.5:8000", "ftp://127.0.0.1", "not a url", "https://user:pw@api.preo.dev"],
)
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
    request = preo._http.prepare("GET", "/v1/auth/me")  # carries the Authorization header
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    for text in (
        repr(preo),
        str(preo),
        repr(preo.settings),
        repr(preo._http),
        repr(preo._http.transport),
        repr(request),
    ):
        assert TOKEN not in text


def test_token_with_a_newline_is_refused_without_echoing_it(clean_env):
    with pytest.raises(ConfigurationError) as info:
        load_settings(token="secret\nX-Evil: 1")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (f"Bearer {TOKEN}", "starts with 'Bearer '; remove the 'Bearer ' prefix"),
        (f"bearer {TOKEN}", "remove the 'Bearer ' prefix"),
        (f"'Bearer {TOKEN}'", "remove the 'Bearer ' prefix"),
        (f"Token {TOKEN}", "remove the 'Token ' prefix"),
        (f'"{TOKEN}"', "is wrapped in quotes; remove the quotes"),
        (f"'{TOKEN}'", "is wrapped in quotes; remove the quotes"),
        (f"\u201c{TOKEN}\u201d", "is wrapped in quotes"),
        (f" {TOKEN}", "has spaces or a line break around it; remove them"),
        (f"{TOKEN}\n", "has spaces or a line break around it; remove them"),
    ],
)
def test_a_pasted_token_says_what_to_remove_before_anything_is_sent(clean_env, nothing_sent, token, says):
    with pytest.raises(ConfigurationError) as info:
        preo_nb.connect(base_url="http://127.0.0.1:9", token=token)
    assert info.value.field == "token"
    assert "the API token from the token= argument " in str(info.value) and says in str(info.value)
    assert TOKEN not in str(info.value)
    assert nothing_sent == []


def test_a_bearer_token_in_the_environment_names_the_variable(clean_env, monkeypatch):
    monkeypatch.setenv("PREO_API_TOKEN", f"Bearer {TOKEN}")
    with pytest.raises(ConfigurationError, match="from the environment variable PREO_API_TOKEN starts with 'Bearer '"):
        load_settings()


def test_settings_record_where_the_token_and_url_came_from(clean_env, monkeypatch):
    (clean_env / ".env").write_text(f"PREO_API_TOKEN={TOKEN}\n")
    settings = load_settings()
    assert str(settings.token_source) == f"PREO_API_TOKEN in the .env file at {(clean_env / '.env').resolve()}"
    assert settings.base_url_source is None  # the default
    monkeypatch.setenv("PREO_API_TOKEN", TOKEN)
    assert str(load_settings().token_source) == "the environment variable PREO_API_TOKEN"
    assert str(load_settings(token=TOKEN).token_source) == "the token= argument"
    assert TOKEN not in repr(load_settings())


@pytest.mark.parametrize("url", ["https://api.preo.dev/v1", "https://api.preo.dev/v1/", "https://api.preo.dev/V1"])
def test_a_base_url_ending_in_v1_is_corrected_with_a_warning(clean_env, url):
    with pytest.warns(preo_nb.ConfigurationWarning, match="ends in /v1") as caught:
        settings = load_settings(base_url=url, token=TOKEN)
    assert settings.base_url == "https://api.preo.dev"
    assert "using 'https://api.preo.dev'" in str(caught[0].message)


def test_a_base_url_with_a_path_keeps_it_without_the_v1(clean_env):
    with pytest.warns(preo_nb.ConfigurationWarning):
        assert load_settings(base_url="https://gw.example/preo/v1/", token=TOKEN).base_url == "https://gw.example/preo"


def test_a_client_on_a_corrected_url_calls_v1_once(sandbox, clean_env):
    with pytest.warns(preo_nb.ConfigurationWarning):
        preo = preo_nb.connect(base_url=sandbox.url + "/v1", token=sandbox.token)
    assert preo.auth.me()["email"]


def test_a_base_url_from_a_parent_env_file_and_a_token_from_the_environment_warn(clean_env, monkeypatch):
    (clean_env / ".env").write_text("PREO_BASE_URL=https://staging.example\n")
    (clean_env / "notebooks").mkdir()
    monkeypatch.chdir(clean_env / "notebooks")
    monkeypatch.setenv("PREO_API_TOKEN", TOKEN)
    with pytest.warns(preo_nb.ConfigurationWarning) as caught:
        preo_nb.connect()
    [warning] = caught
    text = str(warning.message)
    assert (
        f"the base URL https://staging.example comes from PREO_BASE_URL in the .env file at "
        f"{(clean_env / '.env').resolve()}" in text
    )
    assert "but the API token from the environment variable PREO_API_TOKEN" in text
    assert TOKEN not in text
    assert warning.filename == __file__  # shown at the notebook's own line, not inside preo_nb


@pytest.mark.parametrize(
    ("env", "dotenv", "arguments"),
    [
        ({"PREO_API_TOKEN": TOKEN, "PREO_BASE_URL": "https://env.example"}, "", {}),
        ({}, f"PREO_API_TOKEN={TOKEN}\nPREO_BASE_URL=https://dotenv.example\n", {}),
        ({}, "", {"token": TOKEN, "base_url": "https://arg.example"}),
        ({"PREO_API_TOKEN": TOKEN}, "", {}),  # the default base URL is no source
    ],
)
def test_one_source_for_both_gives_no_warning(clean_env, monkeypatch, recwarn, env, dotenv, arguments):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (clean_env / ".env").write_text(dotenv)
    preo_nb.connect(**arguments)
    assert not [w for w in recwarn if issubclass(w.category, preo_nb.ConfigurationWarning)]


@pytest.mark.parametrize(
    ("text", "slash"), [("true", True), ("1", True), ("Yes", True), ("false", False), ("0", False), ("off", False)]
)
def test_trailing_slash_and_auth_scheme_come_from_the_environment(clean_env, monkeypatch, text, slash):
    monkeypatch.setenv("PREO_TRAILING_SLASH", text)
    monkeypatch.setenv("PREO_AUTH_SCHEME", "Token")
    settings = load_settings(token=TOKEN)
    assert (settings.trailing_slash, settings.auth_scheme) == (slash, "Token")
    assert load_settings(token=TOKEN, trailing_slash=not slash, auth_scheme="JWT").auth_scheme == "JWT"
    assert load_settings(token=TOKEN, trailing_slash=not slash).trailing_slash is (not slash)


def test_settings_from_dotenv_and_their_defaults(clean_env):
    assert (load_settings(token=TOKEN).trailing_slash, load_settings(token=TOKEN).auth_scheme) == (False, "Bearer")
    (clean_env / ".env").write_text("PREO_TRAILING_SLASH=on\nPREO_AUTH_SCHEME=Token\n")
    settings = load_settings(token=TOKEN)
    assert (settings.trailing_slash, settings.auth_scheme) == (True, "Token")


@pytest.mark.parametrize("text", ["", "null", "None", "maybe", "2"])
def test_an_unclear_trailing_slash_flag_is_refused_naming_where_it_came_from(clean_env, monkeypatch, text):
    monkeypatch.setenv("PREO_TRAILING_SLASH", text)
    with pytest.raises(ConfigurationError, match="PREO_TRAILING_SLASH must be true or false"):
        load_settings(token=TOKEN)


@pytest.mark.parametrize("text", ["", "Bearer token", "null!"])
def test_an_unusable_auth_scheme_is_refused(clean_env, monkeypatch, text):
    (clean_env / ".env").write_text(f"PREO_AUTH_SCHEME={text}\n")
    with pytest.raises(ConfigurationError, match=r"PREO_AUTH_SCHEME in the \.env file"):
        load_settings(token=TOKEN)
