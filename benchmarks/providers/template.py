"""The offline template designer as a benchmark provider: reads the task spec's front matter
(family, params, ranges, targets) and returns the generated RTL. A spec with open ranges
goes through the designer's DSE (synthesis only; the harness does the verification)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from rtlsmith.benchmarks.core import Completion, Problem
from rtlsmith.benchmarks.providers import Provider
from rtlsmith.errors import RtlsmithError


class TemplateProvider(Provider):
    name = "template"
    concurrency = 1

    def complete(self, problem: Problem, sample: int) -> Completion:
        from rtlsmith.agents.template_designer import candidate_points, explore, unsupported_family_message
        from rtlsmith.eda_tools.base import EdaContext
        from rtlsmith.rtl_templates import discover
        from rtlsmith.types import load_spec
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "spec.md"
            f.write_text(problem.prompt)
            try:
                spec = load_spec(f)
            except RtlsmithError as e:
                return Completion(error=f"spec does not parse: {e}")
        fams = discover()
        if spec.family not in fams:
            return Completion(error=unsupported_family_message(spec, list(fams)))
        tpl = fams[spec.family]
        try:
            if spec.ranges:
                _points, ranked = explore(tpl, spec, candidate_points(tpl, spec)[0], EdaContext())
                if not ranked:
                    return Completion(error="no explored parameter set could be synthesised")
                params = ranked[0].params
            else:
                params = tpl.params(dict(spec.params))
            files = tpl.generate(params)
        except RtlsmithError as e:
            return Completion(error=f"{tpl.family}: {e}")
        return Completion(files=dict(files.items()))
