"""Bad input is refused before anything is sent, naming the field."""

import datetime as dt

import pytest

import preo_nb
from preo_nb import PreoValidationError


@pytest.fixture
def offline(nothing_sent):
    return preo_nb.connect(base_url="http://127.0.0.1:9", token="tok_checks_only", env_file=False)


CASES = [
    ("unknown reason", lambda p: p.purchases.refund("pur_1", reason="refund_please"), "reason"),
    ("reason missing", lambda p: p.purchases.refund("pur_1", reason=None), "reason"),
    ("unknown scope", lambda p: p.purchases.refund("pur_1", reason="other", scope="all", amount=1), "scope"),
    ("custom scope without amount", lambda p: p.purchases.refund("pur_1", reason="compensation"), "amount"),
    (
        "explicit custom scope without amount",
        lambda p: p.refunds.create("pur_1", reason="sold_out", scope="transaction_custom"),
        "amount",
    ),
    ("negative amount", lambda p: p.purchases.refund("pur_1", reason="overcharge", amount=-5), "amount"),
    ("zero amount", lambda p: p.purchases.refund("pur_1", reason="overcharge", amount=0), "amount"),
    ("amount as text", lambda p: p.purchases.refund("pur_1", reason="overcharge", amount="5"), "amount"),
    ("amount with cents below a cent", lambda p: p.purchases.refund("pur_1", reason="other", amount=1.005), "amount"),
    ("not-a-number amount", lambda p: p.purchases.refund("pur_1", reason="other", amount=float("nan")), "amount"),
    (
        "amount on a computed scope",
        lambda p: p.purchases.refund("pur_1", reason="event_cancelled", amount=10),
        "amount",
    ),
    ("comment not text", lambda p: p.purchases.refund("pur_1", reason="sold_out", comment=3), "comment"),
    ("orders without scope filter", lambda p: p.orders.list(), "edition_id"),
    ("orders iterate without scope filter", lambda p: next(p.orders.iterate(status="completed")), "edition_id"),
    ("misspelt keyword", lambda p: p.orders.list(edtion_id="edt_1"), "edtion_id"),
    ("misspelt keyword on a write", lambda p: p.purchases.refund("pur_1", reasn="sold_out"), "reasn"),
    ("bad order status", lambda p: p.orders.list(edition_id="edt_1", status="done"), "status"),
    ("bad ordering", lambda p: p.orders.list(edition_id="edt_1", ordering="price"), "ordering"),
    ("bad date", lambda p: p.orders.list(edition_id="edt_1", created_after="last tuesday"), "created_after"),
    ("bad boolean", lambda p: p.editions.list(is_draft="yes"), "is_draft"),
    ("id with a slash", lambda p: p.purchases.retrieve("pur_1/../../admin"), "id"),
    ("id with dots", lambda p: p.refunds.approve(".."), "id"),
    ("empty id", lambda p: p.orders.retrieve(""), "id"),
    ("id that is not text", lambda p: p.users.retrieve(42), "id"),
    ("unicode id", lambda p: p.users.retrieve("usr_\u202eevil"), "id"),
    ("bad locale", lambda p: p.users.update("usr_1", locale="sv"), "locale"),
    ("empty update", lambda p: p.users.update("usr_1"), "fields"),
    (
        "bad pickup point id",
        lambda p: p.purchases.refund("pur_1", reason="sold_out", pickup_point_id="a/b"),
        "pickup_point_id",
    ),
    # files
    ("upload of a missing path", lambda p: p.files.create(organization_id="org_1", file="/no/such/file.png"), "file"),
    ("upload of a number", lambda p: p.files.create(organization_id="org_1", file=3.5), "file"),
    ("upload of no bytes", lambda p: p.files.create(organization_id="org_1", file=b"", file_name="a.png"), "file"),
    ("bytes without a file name", lambda p: p.files.create(organization_id="org_1", file=b"\x89PNG"), "file_name"),
    ("tags that are not text", lambda p: p.files.update("fil_1", tags=[1, 2]), "tags"),
    ("bad files ordering", lambda p: p.files.list(ordering="-created"), "ordering"),
    ("force that is not a bool", lambda p: p.files.delete("fil_1", force="yes"), "force"),
    ("file update with nothing", lambda p: p.files.update("fil_1"), "fields"),
    # data imports
    (
        "import of a pdf",
        lambda p: p.data_imports.create(edition_id="edt_1", file=b"%PDF", data_file_name="a.pdf"),
        "data_file_name",
    ),
    (
        "import without a country code prefix",
        lambda p: p.data_imports.create(
            edition_id="edt_1", file=b"a", data_file_name="a.csv", default_country_code="45"
        ),
        "default_country_code",
    ),
    ("bad import stage", lambda p: p.data_imports.list(stage="done"), "stage"),
    (
        "unknown column target",
        lambda p: p.data_imports.update_column_mappings("dim_1", mappings={"E-mail": "email"}),
        "mappings",
    ),
    ("no column mappings", lambda p: p.data_imports.update_column_mappings("dim_1", mappings={}), "mappings"),
    (
        "product mapping to a bad id",
        lambda p: p.data_imports.update_product_mappings("dim_1", mappings={"BL-DAY": "prd 1"}),
        "mappings",
    ),
    (
        "external orders without items",
        lambda p: p.data_imports.import_external_orders(
            edition_id="edt_1", service="pos", orders=[{"order_id": "1", "customer_email": "a@b.dk", "items": []}]
        ),
        "orders",
    ),
    (
        "external item with quantity 0",
        lambda p: p.data_imports.import_external_orders(
            edition_id="edt_1",
            service="pos",
            orders=[{"order_id": "1", "customer_email": "a@b.dk", "items": [{"product_code": "X", "quantity": 0}]}],
        ),
        "orders",
    ),
    (
        "external item with a true quantity",
        lambda p: p.data_imports.import_external_orders(
            edition_id="edt_1",
            service="pos",
            orders=[{"order_id": "1", "customer_email": "a@b.dk", "items": [{"product_code": "X", "quantity": True}]}],
        ),
        "orders",
    ),
    (
        "external order with a misspelt key",
        lambda p: p.data_imports.import_external_orders(
            edition_id="edt_1", service="pos", orders=[{"order_id": "1", "email": "a@b.dk", "items": []}]
        ),
        "orders",
    ),
    (
        "external orders as one dict",
        lambda p: p.data_imports.import_external_orders(edition_id="edt_1", service="pos", orders={"order_id": "1"}),
        "orders",
    ),
    (
        "external orders without a service",
        lambda p: p.data_imports.import_external_orders(edition_id="edt_1", service=" ", orders=[{"order_id": "1"}]),
        "service",
    ),
    # consents, segments, campaigns
    ("consent without a title", lambda p: p.consents.create(organization_id="org_1", title=" "), "title"),
    ("consent order as text", lambda p: p.consents.create(organization_id="org_1", title="x", order="1"), "order"),
    ("consent enabled as text", lambda p: p.consents.update("cns_1", enabled="yes"), "enabled"),
    ("bad consents ordering", lambda p: p.consents.list(ordering="position"), "ordering"),
    ("consent update with nothing", lambda p: p.consents.update("cns_1"), "fields"),
    (
        "segment without a condition",
        lambda p: p.segments.create(organization_id="org_1", name="x", condition=""),
        "condition",
    ),
    ("segment condition not text", lambda p: p.segments.update("seg_1", condition=True), "condition"),
    (
        "unknown segment channel",
        lambda p: p.segments.create(organization_id="org_1", name="x", condition="true", communication_channel="push"),
        "communication_channel",
    ),
    (
        "unknown communication type",
        lambda p: p.segments.update("seg_1", communication_type="promo"),
        "communication_type",
    ),
    ("bad segment status filter", lambda p: p.segments.list(status="done"), "status"),
    ("validate a condition that is not text", lambda p: p.segments.validate_cel(None), "condition"),
    ("cel context for a bad edition id", lambda p: p.segments.cel_context(edition_id="a/b"), "edition_id"),
    ("export of a bad segment id", lambda p: p.segments.export_csv("seg/1"), "id"),
    ("segment wait without time", lambda p: p.segments.wait("seg_1", timeout=0), "timeout"),
    (
        "unknown campaign channel",
        lambda p: p.campaigns.create(
            organization_id="org_1", edition_id="edt_1", segment_id="seg_1", name="x", channel="push"
        ),
        "channel",
    ),
    ("sms body too long", lambda p: p.campaigns.update("cmp_1", sms_body="x" * 1601), "sms_body"),
    (
        "send time that is not a time",
        lambda p: p.campaigns.schedule("cmp_1", scheduled_at="next friday"),
        "scheduled_at",
    ),
    ("send time as a date", lambda p: p.campaigns.schedule("cmp_1", scheduled_at=dt.date(2026, 12, 1)), "scheduled_at"),
    ("bad campaign status filter", lambda p: p.campaigns.list(status="done"), "status"),
    # email messages, webhooks
    ("unknown message type", lambda p: p.email_messages.create(organization_id="org_1", title="x", type="sms"), "type"),
    (
        "platform scope on create",
        lambda p: p.email_messages.create(organization_id="org_1", title="x", type="other", scope="platform"),
        "scope",
    ),
    (
        "edition scope without an edition",
        lambda p: p.email_messages.create(organization_id="org_1", title="x", type="other", scope="edition"),
        "edition_id",
    ),
    ("blank message title", lambda p: p.email_messages.update("eml_1", title=" "), "title"),
    ("message update with nothing", lambda p: p.email_messages.update("eml_1"), "fields"),
    ("bad message scope filter", lambda p: p.email_messages.list(scope="global"), "scope"),
    ("preview in an unknown language", lambda p: p.email_messages.preview("eml_1", language="de"), "language"),
    ("preview context not a dict", lambda p: p.email_messages.preview("eml_1", context=["x"]), "context"),
    ("adopt into a bad edition id", lambda p: p.email_messages.adopt("eml_1", edition_id="edt/1"), "edition_id"),
    (
        "webhook to an ftp url",
        lambda p: p.webhooks.create(organization_id="org_1", name="x", url="ftp://h/x", events=["*"]),
        "url",
    ),
    (
        "webhook events as one string",
        lambda p: p.webhooks.create(organization_id="org_1", name="x", url="https://h/x", events="*"),
        "events",
    ),
    ("webhook without events", lambda p: p.webhooks.update("whk_1", events=[]), "events"),
    ("webhook timeout over a minute", lambda p: p.webhooks.update("whk_1", timeout_seconds=61), "timeout_seconds"),
    ("webhook update with nothing", lambda p: p.webhooks.update("whk_1"), "fields"),
    ("bad delivery status filter", lambda p: p.webhooks.list_deliveries("whk_1", status="done"), "status"),
    ("bad delivery id", lambda p: p.webhooks.retry_delivery("whk_1", "whd/1"), "delivery_id"),
]


@pytest.mark.parametrize(("case", "call", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_sending(offline, nothing_sent, case, call, field):
    with pytest.raises(PreoValidationError) as info:
        call(offline)
    assert info.value.field == field
    assert field in str(info.value)
    assert nothing_sent == []


def test_dates_are_sent_as_utc_iso_strings():
    from preo_nb.checks import timestamp

    assert timestamp(dt.date(2026, 6, 1), "d") == "2026-06-01T00:00:00Z"
    assert timestamp("2026-06-01T12:00:00+02:00", "d") == "2026-06-01T10:00:00Z"
    assert timestamp(dt.datetime(2026, 6, 1, 8, 30), "d") == "2026-06-01T08:30:00Z"
