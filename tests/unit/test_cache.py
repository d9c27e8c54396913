from rtlsmith.sandbox.cache import ResultCache


def test_roundtrip_and_key_sensitivity(tmp_path):
    c = ResultCache(tmp_path)
    k1 = c.key(files="abc", tools={"yosys": "0.23"}, argv=["a"])
    k2 = c.key(files="abc", tools={"yosys": "0.52"}, argv=["a"])
    assert k1 != k2 and k1 == c.key(argv=["a"], tools={"yosys": "0.23"}, files="abc")
    assert c.get(k1) is None
    c.put(k1, {"passed": True})
    assert c.get(k1) == {"passed": True} and c.get(k2) is None


def test_corrupt_entry_is_a_miss(tmp_path):
    c = ResultCache(tmp_path)
    k = c.key(x=1)
    c.put(k, {"a": 1})
    c._path(k).write_text("{not json")
    assert c.get(k) is None


def test_disabled_cache(tmp_path, monkeypatch):
    c = ResultCache(tmp_path, enabled=False)
    c.put(c.key(x=1), {"a": 1})
    assert c.get(c.key(x=1)) is None and not any(tmp_path.iterdir())
    monkeypatch.setenv("RTLSMITH_NO_CACHE", "1")
    assert not ResultCache(tmp_path).enabled
