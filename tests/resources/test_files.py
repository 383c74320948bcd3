import base64
import io

import pytest

import preo_nb

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def my_org(preo):
    return preo.auth.me()["organizations"][0]["id"]


@pytest.mark.vcr
def test_list_is_typed_and_tells_the_tags_in_use(preo):
    df = preo.files.list()
    assert len(df) > 40 and df["api_id"].is_unique
    assert df["api_id"].dtype == "string" and str(df["created_at"].dtype) == "datetime64[ns, UTC]"
    assert df["created_at"].is_monotonic_decreasing
    assert {"logo", "product", "banner"} <= set(df.attrs["available_tags"])
    assert all(isinstance(tags, list) for tags in df["tags"])
    in_use = df[df["usages"].str.len() > 0]
    assert {u["model"] for usages in in_use["usages"] for u in usages} == {"product"}


@pytest.mark.vcr
def test_list_filters_and_iterate(preo):
    logos = preo.files.list(tags=["logo", "banner"])
    assert len(logos) == 5 and all({"logo", "banner"} & set(tags) for tags in logos["tags"])
    beers = preo.files.list(file_name="BEER", created_after="2025-06-01")
    assert len(beers) == 2 and beers["file_name"].str.contains("beer").all()  # not the 2025 edition's
    assert (beers["created_at"] >= "2025-06-01").all()
    by_name = preo.files.list(organization_id=my_org(preo), ordering="file_name")
    assert by_name["file_name"].tolist() == sorted(by_name["file_name"], key=str.casefold)
    assert [f["api_id"] for f in preo.files.iterate(organization_id=my_org(preo), ordering="file_name")] == (
        by_name["api_id"].tolist()
    )


@pytest.mark.vcr
def test_upload_describe_and_delete(preo, tmp_path):
    path = tmp_path / "poster.png"
    path.write_bytes(PNG)
    made = preo.files.create(organization_id=my_org(preo), file=path, tags="poster, event")
    assert (made["file_name"], made["tags"], made["usages"]) == ("poster.png", ["poster", "event"], [])
    described = preo.files.update(made["api_id"], caption="Main stage poster", tags=["poster"])
    assert (described["caption"], described["tags"]) == ("Main stage poster", ["poster"])
    assert preo.files.retrieve(made["api_id"]) == described
    assert preo.files.delete(made["api_id"]) is None
    with pytest.raises(preo_nb.NotFound):
        preo.files.retrieve(made["api_id"])


@pytest.mark.vcr
def test_upload_bytes_and_file_objects(preo):
    from_bytes = preo.files.create(organization_id=my_org(preo), file=PNG, file_name="pixel.png")
    handle = io.BytesIO(PNG)
    handle.name = "/tmp/sponsor.png"
    from_handle = preo.files.create(organization_id=my_org(preo), file=handle)
    assert (from_bytes["file_name"], from_handle["file_name"]) == ("pixel.png", "sponsor.png")


@pytest.mark.vcr
def test_a_file_in_use_is_only_deleted_with_force(preo):
    used = next(f for f in preo.files.iterate(tags="product") if f["usages"])
    with pytest.raises(preo_nb.Conflict) as info:
        preo.files.delete(used["api_id"])
    assert info.value.code == "in_use"
    assert preo.files.retrieve(used["api_id"])["usages"] == used["usages"]
    assert preo.files.delete(used["api_id"], force=True) is None
    with pytest.raises(preo_nb.NotFound):
        preo.files.retrieve(used["api_id"])


@pytest.mark.vcr
def test_staff_cannot_upload(preo_as):
    staff = preo_as("staff")
    assert not staff.files.list().empty
    with pytest.raises(preo_nb.PermissionDenied):
        staff.files.create(organization_id=my_org(staff), file=PNG, file_name="pixel.png")
