"""The conformance models (``tests/io/vensim_suite``: a subset of SDXorg/test-models, MIT
licence and authors beside it) against Vensim's canonical output.

Every model that imports is run with ``rd.simulate(method="euler")`` (Vensim's arithmetic)
and compared with ``output.tab``/``output.csv`` at PySD's tolerance
``|a - c| <= 1e-5 + 1e-5 |c|`` on every column the model has (stocks, observables,
constants). A model not listed below must match. The listed ones are refused with the named
construct, have no canonical output, or differ for the stated reason; the test fails when any
of that changes (a refusal turning into an import must then match, and be removed here).
"""

from __future__ import annotations

import numpy as np
import pytest
import suite_check as sc

import richardson as rd

FOLDER_HAS_NO_OUTPUT = "no output"
#: Imported, but not equal to Vensim's output; why. Empty: every model that imports and has
#: its own canonical output matches (``-2^2``, INTEGER/MODULO at whole numbers and the rest).
DIFFERENCES: dict[str, str] = {}
#: Refused (or imported without output to compare): file -> construct named in the message.
NOT_COMPARED = {
    "samples/Lotka_Volterra/Lotka_Volterra.mdl": FOLDER_HAS_NO_OUTPUT,
    "samples/Population/Subscripted Population Model.mdl": FOLDER_HAS_NO_OUTPUT,
    "samples/Query_file/Query_file.mdl": "DELAY FIXED",
    "samples/Workforce/workforce.mdl": FOLDER_HAS_NO_OUTPUT,
    "samples/pendulum/Single_Pendulum.mdl": FOLDER_HAS_NO_OUTPUT,
    "tests/data_from_other_model/model_to_generate_data.mdl": FOLDER_HAS_NO_OUTPUT,
    # the folder's output is Vensim's run of the .mdl, whose ACTIVE INITIAL these exports lost
    "tests/active_initial/test_active_initial.xmile": FOLDER_HAS_NO_OUTPUT,
    "tests/active_initial/test_active_initial.stmx": FOLDER_HAS_NO_OUTPUT,
    "tests/data_from_other_model/test_data_from_other_model.mdl": "data variable",
    "tests/delay_pipeline/test_pipeline_delays.mdl": "DELAY FIXED",
    "tests/delays/test_delays.mdl": "DELAY N with a time-varying delay",
    "tests/dynamic_final_time/test_dynamic_final_time.mdl": "dynamic INITIAL TIME",
    "tests/forecast/test_forecast.mdl": "DELAY FIXED",
    "tests/get_constants/test_get_constants.mdl": "GET XLS/DIRECT",
    "tests/get_constants_incomplete_subscript/test_get_constants_incomplete_subscript.mdl": (
        "GET XLS/DIRECT"
    ),
    "tests/get_data/test_get_data.mdl": "GET XLS/DIRECT",
    "tests/get_data_args_3d_xls/test_get_data_args_3d_xls.mdl": "GET XLS/DIRECT",
    "tests/get_lookups_data_3d_xls/test_get_lookups_data_3d_xls.mdl": "GET XLS/DIRECT",
    "tests/get_lookups_subscripted_args/test_get_lookups_subscripted_args.mdl": "GET XLS/DIRECT",
    "tests/get_lookups_subset/test_get_lookups_subset.mdl": "GET XLS/DIRECT",
    "tests/get_values_order/test_get_values_order.mdl": "GET XLS/DIRECT",
    "tests/get_with_missing_values_xlsx/test_get_with_missing_values_xlsx.mdl": "GET XLS/DIRECT",
    "tests/get_xls_cellrange/test_get_xls_cellrange.mdl": "GET XLS/DIRECT",
    "tests/na/test_na.mdl": ":NA:",
    "tests/partial_range_definitions/test_partial_range_definitions.mdl": "GET XLS/DIRECT",
    "tests/sample_if_true/test_sample_if_true.mdl": "SAMPLE IF TRUE",
    "tests/vector_select/test_vector_select.mdl": "VECTOR SELECT",
    "samples/SIR/SIR_legacy.stmx": "neither stocks nor auxiliaries",
    "samples/arrays/a2a/a2a.stmx": FOLDER_HAS_NO_OUTPUT,
    "samples/arrays/non-a2a/non-a2a-gf.stmx": "could not parse",
    "samples/arrays/non-a2a/non-a2a.stmx": "without its subscripts",
    "samples/display/1style.stmx": "could not parse",
    "samples/display/multipoint-connection.stmx": "could not parse",
    "samples/teacup/teacup.stmx": "non-negative",
    "samples/teacup/teacup_legacy.stmx": "neither stocks nor auxiliaries",
    "samples/teacup/teacup_w_diagram.xmile": "non-negative",
    "tests/comparisons/comparisons.stmx": "neither stocks nor auxiliaries",
    "tests/delay_xmile/test_delay_xmile.xmile": "non-negative",
    "tests/eval_order/eval_order.stmx": "neither stocks nor auxiliaries",
    "tests/logicals/test_logicals.stmx": "could not parse",
    "tests/non_negative_all/test_non_negative_all1.xmile": "non-negative",
    "tests/non_negative_all/test_non_negative_all2.xmile": "non-negative",
    "tests/special_characters_xmile/test_special_variable_names.stmx": "could not parse",
}
for _name in ("1d_arrays", "constant_call", "mixed_assembly", "subranges", "subranges_equal"):
    _stem = {"subranges": "subscript_subrange", "subranges_equal": "subscript_subrange_equal"}
    _file = _stem.get(_name, f"subscript_{_name}")
    for _suffix in (".xmile", ".stmx"):
        NOT_COMPARED[f"tests/subscript_{_name}/test_{_file}{_suffix}"] = "could not parse"
for _suffix in (".xmile", ".stmx"):
    NOT_COMPARED[f"tests/subscript_multiples/test_multiple_subscripts{_suffix}"] = "could not parse"
    NOT_COMPARED[f"tests/subscript_updimensioning/test_subscript_updimensioning{_suffix}"] = (
        "could not parse"
    )

FILES = sc.model_files((".mdl",)) + sc.model_files((".xmile", ".stmx", ".xml"))


def _name(path) -> str:
    return str(path.relative_to(sc.SUITE))


@pytest.mark.parametrize("path", FILES, ids=[_name(p) for p in FILES])
def test_conformance_model(path):
    name = _name(path)
    outcome = sc.check(path)
    if name in DIFFERENCES:
        assert outcome.status == "mismatch", (name, outcome.status, outcome.reason)
        return
    if name in NOT_COMPARED:
        expected = NOT_COMPARED[name]
        if expected == FOLDER_HAS_NO_OUTPUT:
            assert outcome.status == "no output", (name, outcome.reason)
        else:
            assert outcome.status == "refused", (name, outcome.status, outcome.reason)
            assert sc.construct(outcome.reason) == expected, outcome.reason
            assert path.name in outcome.reason  # the message names the file
        return
    assert outcome.status == "matched", (name, outcome.status, outcome.reason, outcome.worst)
    assert outcome.columns > 0


def test_every_listed_file_exists():
    names = {_name(p) for p in FILES}
    assert set(DIFFERENCES) <= names and set(NOT_COMPARED) <= names


@pytest.mark.parametrize("suffix", [".xmile", ".stmx"])
def test_active_initial_exports_are_what_they_say(suffix):
    """The XMILE exports of test_active_initial.mdl hold ``Value A = Time`` where the .mdl has
    ``ACTIVE INITIAL(Time, 45)`` (no 45 anywhere in them): Stock A starts at Value A(0) = 0.
    Against the folder's output (Vensim's run of the .mdl) every column agrees except Stock A,
    which is exactly the lost 45 lower; the .mdl itself matches (test_conformance_model)."""
    folder = sc.SUITE / "tests/active_initial"
    assert "45" not in (folder / f"test_active_initial{suffix}").read_text()
    model = rd.from_xmile(folder / f"test_active_initial{suffix}")
    ours = rd.simulate(model, method="euler").to_dataframe()
    vensim = sc.canonical(folder).set_index("Time")
    assert np.array_equal(ours.index.to_numpy(), vensim.index.to_numpy())
    assert np.array_equal(ours["Value A"].to_numpy(), vensim["Value A"].to_numpy())
    assert np.array_equal(ours["Stock A"].to_numpy(), vensim["Stock A"].to_numpy() - 45)


def test_counts_reach_the_prototype():
    """The issue's prototype: 57 of 59 models with canonical output matched Vensim."""
    compared = [p for p in FILES if _name(p) not in NOT_COMPARED]
    matched = len(compared) - len(DIFFERENCES)
    assert matched >= 100 and matched / len(compared) > 0.9
