"""The shipped example specs parse, name a real family, and every DSE point they ask for is a
valid parameter set (the designer itself runs in tests/eda/test_designer.py and `make demo`)."""
from __future__ import annotations

from pathlib import Path

import pytest

from rtlsmith.agents.template_designer import candidate_points
from rtlsmith.rtl_templates import discover
from rtlsmith.types import load_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "rtl_templates" / "examples").glob("*.md"))


def test_at_least_six_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_spec_is_designable(path):
    spec = load_spec(path)
    fams = discover()
    assert spec.family in fams
    tpl = fams[spec.family]
    points, varied = candidate_points(tpl, spec)
    assert points and varied, "an example should leave something for the DSE to choose"
    for p in points:
        tpl.generate(tpl.params(p))  # raises on an invalid combination
    assert spec.targets.model_dump(exclude_none=True), "an example states targets"
