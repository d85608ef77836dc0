import json

from govlake.synthetic import generate
from masking.checksums import is_valid_resident_id, is_valid_uscc


def test_same_seed_same_extracts(tmp_path, monkeypatch):
    from govlake.storage import Lake

    a, b = Lake.open(str(tmp_path / "a")), Lake.open(str(tmp_path / "b"))
    pa_, pb = generate(a, rows=20), generate(b, rows=20)
    assert pa_ == pb
    assert all(a.read_bytes(p) == b.read_bytes(p) for p in pa_.values())


def test_encodings_and_shared_people(lake):
    paths = generate(lake, rows=40, messy=False)
    social = lake.read_bytes(paths["social_insured"]).decode("gbk").splitlines()
    registry = lake.read_bytes(paths["business_registry"]).decode("gb18030").splitlines()
    tax = lake.read_bytes(paths["tax_filings"])
    hotline = [json.loads(line) for line in lake.read_bytes(paths["hotline_tickets"]).decode().splitlines()]
    assert tax.startswith(b"\xef\xbb\xbf") and tax.decode("utf-8-sig").startswith("纳税人识别号")
    ids = {line.split(",")[0] for line in social[1:]}
    assert all(is_valid_resident_id(i) for i in ids)
    assert {h["caller_id"] for h in hotline if h["caller_id"]} <= ids
    codes = {line.split(",")[0] for line in registry[1:]}
    assert all(is_valid_uscc(c) for c in codes)
    assert {line.split(",")[6] for line in social[1:]} <= codes
