import pytest


@pytest.mark.vcr
def test_me_shows_the_caller_and_its_roles(preo):
    me = preo.auth.me()
    assert me["email"] and me["id"]
    assert {m["role"] for m in me["organizations"]} == {"admin"}
    assert len(me["organizations"]) == 2


@pytest.mark.vcr
def test_me_as_guest(preo_as):
    me = preo_as("guest").auth.me()
    assert [m["role"] for m in me["organizations"]] == ["guest"]
