"""Build the scenario library in ``models/`` (run: ``python models/make_scenarios.py``).

Each scenario is built with :func:`richardson.alliance_model`, checked against the regime it
claims (eigenvalues of the linear part, or simulation for the nonlinear ones) and written
with :func:`richardson.save_model`. Values taken from data are read from the package's bundled
series (``rd.data``): Correlates of War NMC v6 ``milex`` in constant 2010 US dollars (deflated
by the US CPI-U) from 1914 on, in the year's own pounds before (no open sterling deflator is
bundled), and Richardson's own 1909-1913 table for the classic fit; everything else is
labelled ``illustrative`` in the parameter's ``source`` field and in the file header. Each
file is copied to ``richardson/scenarios/``, the package data that ``rd.scenarios`` reads.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

import richardson as rd

HERE = Path(__file__).resolve().parent
#: The copies inside the package, read by ``rd.scenarios`` (tests/scenarios/test_scenarios.py).
PACKAGED = HERE.parent / "richardson" / "scenarios"
COW = "Correlates of War NMC v6.0 milex (Singer, Bremer and Stuckey 1972; Singer 1987)"
DEFLATED = (
    f"{COW}, deflated to constant 2010 USD by the US CPI-U (an approximation for non-US states)"
)
USD = "billion constant 2010 USD (US CPI-U)"
BASE_YEAR = 2010
ILLUSTRATIVE = "illustrative"


def _cow_value(abb: str, year: int, measure: str) -> float:
    """One state-year of the Correlates of War table bundled with the package (rd.data):
    spending from 1914 on in constant 2010 USD, before 1914 in that year's pounds."""
    dollars = measure == "milex" and year >= 1914
    prices = {"prices": "constant", "base_year": BASE_YEAR} if dollars else {}
    value = float(rd.data.load_states([abb], year, year, measure=measure, **prices)[abb].iloc[0])
    if not np.isfinite(value):
        raise ValueError(f"COW {measure} of {abb} in {year} is missing (-9)")
    return value


def milex(abb: str, year: int, scale: float) -> float:
    """COW military expenditure divided by ``scale`` (constant 2010 USD from 1914 on)."""
    return _cow_value(abb, year, "milex") / scale


def cinc(abb: str, year: int) -> float:
    """COW composite index of national capability (share of the system, 0-1)."""
    return _cow_value(abb, year, "cinc")


def sources(model: rd.Model, default: str, specific: dict[str, str] | None = None) -> rd.Model:
    """Set each parameter's ``source`` (prefix match in ``specific`` wins)."""
    specific = specific or {}
    updates = {}
    for name, p in model.params.items():
        source = next((s for prefix, s in specific.items() if name.startswith(prefix)), default)
        updates[name] = rd.Parameter(name, p.value, p.bounds, p.unit, p.description, source)
    return model.with_params(updates)


def linear_eigenvalues(model: rd.Model, params: dict | None = None) -> np.ndarray:
    compiled = model.compile()
    p = model.param_vector(params)
    return np.linalg.eigvals(compiled.jac(0.0, np.zeros(model.n_states), p))


def equilibrium_linear(model: rd.Model, params: dict | None = None) -> np.ndarray:
    compiled = model.compile()
    p = model.param_vector(params)
    zero = np.zeros(model.n_states)
    return np.linalg.solve(compiled.jac(0.0, zero, p), -compiled.rhs(0.0, zero, p))


# ---------------------------------------------------------------------- scenarios
def classic() -> tuple[rd.Model, str]:
    """Richardson's own line, refitted to his own figures with its 95% interval."""
    table = rd.data.load("richardson_1909_1913")
    total = rd.data.aggregate(table, {"total": ["Entente", "Central Powers"]})
    line = rd.fit(
        rd.richardson_total(state_unit=table.attrs["units"]),
        total,
        method="difference",
        level_at="midpoint",
        verdict=False,
    )
    slope = line.params["growth"]
    v0 = -line.params["grievance"] / slope
    low, high = line.conf_int().loc["growth"]
    a = 0.2
    k = slope + a
    entente0 = round(float(table.loc[1909, "Entente"]), 6)
    central0 = round(float(table.loc[1909, "Central Powers"]), 6)
    model = rd.alliance_model(
        ["Entente", "Central Powers"],
        {"Entente": ["Entente"], "Central Powers": ["Central Powers"]},
        reaction=k,
        fatigue=a,
        grievance=-slope * v0 / 2,
        initial=[entente0, central0],
        state_unit="million GBP (current)",
        name="Classic Richardson two-nation arms race, 1909-1913",
        description="Entente (France + Russia) vs Central Powers (Germany + Austria-Hungary), "
        "Richardson's symmetric model fitted to the bloc total",
        metadata={
            "regime": "threshold",
            "fate": "runaway",
            "fit": {
                "series": "Richardson (1960) via Braun: FRN+RUS+GMY+AUH 1909-1913",
                "method": "OLS of dV/dt on mean V (Richardson 1960)",
                "rate_per_year": float(slope),
                "rate_95ci": [float(low), float(high)],
                "V0": float(v0),
                "prices": "current pounds (Richardson's own figures; no open sterling "
                "deflator is bundled)",
            },
            "sources": [table.attrs["source"], "Richardson (1960), Arms and Insecurity, ch. 3"],
        },
    )
    fit = (
        f"fitted: d(x+y)/dt = {slope:.3f} (95% CI {low:.3f} to {high:.3f}) (x + y - {v0:.1f}) "
        "to Richardson's own 1909-1913 figures (Richardson 1960 via Braun; OLS of the yearly "
        "change on the mean of consecutive totals, his method; million current GBP)"
    )
    model = sources(
        model, ILLUSTRATIVE, {"k_": fit + "; k = rate + a", "g_": fit + "; g = -rate V0/2"}
    )
    header = f"""Classic Richardson two-nation arms race: Entente (France + Russia) vs
Central Powers (Germany + Austria-Hungary), 1909-1913, in million current GBP.
dx/dt = k y - a x + g, dy/dt = k x - a y + g (Richardson's symmetric form).
Sources: k - a = {slope:.3f}/year (95% CI {low:.3f} to {high:.3f}, OLS t interval on four yearly
changes) and the grievance g = -(k - a) V0 / 2 with V0 = {v0:.1f} are FITTED to the bloc total
V = x + y of Richardson's own figures (Richardson 1960, Arms and Insecurity, as retold by
Braun; he reported 0.73/year and 194) by his method. This replicates his published line on
his nominal figures: no openly licensed sterling deflator is bundled, so the runaway it
encodes is Richardson's reading, not a constant-price estimate. The split of k - a into k and
a is not identified by the total: a = 0.2/year is ILLUSTRATIVE. Initial values: Richardson's
1909 figures.
Regime: threshold (k > a with goodwill g < 0, Richardson's unstable case: the balance
x = y = V0/2 is a saddle; totals above V0 run away, below it spending falls to zero). The 1909
total lies above V0, so from the initial values spending runs away: the spiral Richardson
found before 1914 (metadata fate)."""
    return model, header


def pre_1914() -> tuple[rd.Model, str]:
    rate = 0.8
    a, c = 0.2, -0.05
    k = (rate + a - 2 * c) / 3
    actors = ["France", "Russia", "United Kingdom", "Germany", "Austria-Hungary", "Italy"]
    abb = ["FRN", "RUS", "UKG", "GMY", "AUH", "ITA"]
    initial = [milex(s, 1909, 1000) for s in abb]
    model = rd.alliance_model(
        actors,
        {"Triple Entente": actors[:3], "Triple Alliance": actors[3:]},
        reaction=k,
        fatigue=a,
        ally_coupling=c,
        grievance=-5.0,
        initial=initial,
        state_unit="million GBP (current)",
        name="Triple Entente vs Triple Alliance, 1909-1913",
        description="Six great powers in two blocs with burden sharing inside each bloc",
        metadata={
            "regime": "threshold",
            "fate": "runaway",
            "sources": [COW + " (1909 pounds: no open sterling deflator is bundled)"],
        },
    )
    model = sources(
        model,
        ILLUSTRATIVE,
        {
            "k_": f"illustrative, set so the symmetric mode grows at {rate}/year "
            "(3k + 2c - a), the "
            "rate fitted to the bloc total in classic_two_nation.toml"
        },
    )
    header = f"""Pre-1914 Triple Entente (France, Russia, United Kingdom) vs Triple Alliance
(Germany, Austria-Hungary, Italy), million current GBP.
Terms: adversary reaction k between the blocs, burden sharing c = {c}/year inside each bloc,
fatigue a, grievance g.
Sources: initial values are COW milex 1909 ({COW}). k = {k:.4f}/year is set so that the
symmetric (bloc-total) mode grows at {rate}/year, the rate fitted in classic_two_nation.toml;
a = {a}/year, c = {c}/year and g = -5 million GBP/year are ILLUSTRATIVE.
Regime: threshold (dominant eigenvalue 3k + 2c - a = {rate}/year > 0 with goodwill g < 0: the
balance is a saddle, Richardson's unstable case). The 1909 levels lie beyond it, so from the
initial values spending runs away (metadata fate)."""
    return model, header


def nato_warsaw() -> tuple[rd.Model, str]:
    actors = ["USA", "United Kingdom", "France", "West Germany", "Soviet Union", "Poland"]
    abb = ["USA", "UKG", "FRN", "GFR", "RUS", "POL"]
    initial = [milex(s, 1955, 1e6) for s in abb]
    a = 0.25
    model = rd.alliance_model(
        actors,
        {"NATO": actors[:4], "Warsaw Pact": actors[4:]},
        reaction=0.05,
        fatigue=a,
        ally_coupling=-0.02,
        grievance=[0.1 * a * x for x in initial],
        initial=initial,
        state_unit=USD,
        name="NATO vs Warsaw Pact, from 1955",
        description="Cold War blocs: reaction across the Iron Curtain, burden sharing (free "
        "riding) inside each alliance",
        metadata={"regime": "stable_balance", "sources": [DEFLATED]},
    )
    model = sources(model, ILLUSTRATIVE, {"g_": "illustrative: 0.1 a x_1955 (COW milex 1955)"})
    header = f"""NATO (USA, UK, France, West Germany) vs Warsaw Pact (Soviet Union, Poland),
from 1955, billion constant 2010 USD (COW milex deflated by the US CPI-U). (The GDR's 1955
value is missing in COW, so it is left out.)
Terms: reaction k = 0.05/year across blocs, burden sharing c = -0.02/year inside each bloc
(allies free-ride on each other's spending), fatigue a = {a}/year, grievance g.
Sources: initial values are COW milex 1955 ({DEFLATED}); grievances are 0.1 a x_1955; k, c, a are
ILLUSTRATIVE.
Regime: stable_balance (all eigenvalues negative: the blocs settle at a high but finite
balance)."""
    return model, header


def greece_turkey() -> tuple[rd.Model, str]:
    actors = ["Greece", "Turkey", "USA", "Soviet Union"]
    abb = ["GRC", "TUR", "USA", "RUS"]
    initial = [milex(s, 1970, 1e6) for s in abb]
    model = rd.alliance_model(
        actors,
        {"NATO": actors[:3], "Warsaw Pact": actors[3:]},
        reaction={
            ("Greece", "Soviet Union"): 0.002,
            ("Turkey", "Soviet Union"): 0.004,
            ("USA", "Soviet Union"): 0.1,
            ("Soviet Union", "USA"): 0.1,
        },
        ally_coupling={
            ("Greece", "Turkey"): 0.3,
            ("Turkey", "Greece"): 0.3,
            ("Greece", "USA"): -0.001,
            ("Turkey", "USA"): -0.001,
        },
        distrust={"Greece": 0.5, "Turkey": 0.5},
        fatigue={"Greece": 0.5, "Turkey": 0.5, "USA": 0.2, "Soviet Union": 0.2},
        grievance={"Greece": 0.2, "Turkey": 0.3, "USA": 8.0, "Soviet Union": 8.0},
        initial=initial,
        state_unit=USD,
        name="Greece and Turkey inside NATO facing the Soviet Union, from 1970",
        description="Intra-alliance rivalry (positive ally coupling, distrust) between two "
        "NATO members that also face a common adversary",
        metadata={"regime": "stable_balance", "sources": [DEFLATED]},
    )
    model = sources(model, ILLUSTRATIVE)
    header = f"""Greece and Turkey inside NATO, with the USA, facing the Soviet Union; from 1970,
billion constant 2010 USD (COW milex deflated by the US CPI-U).
Terms: distrust among allies as a POSITIVE ally coupling c = 0.3/year between Greece and
Turkey (each arms against the other although both are in NATO), small burden sharing towards
the USA (c = -0.001/year), misperception d = 0.5 of the Soviet threat by both, reaction
USA <-> Soviet Union k = 0.1/year.
Sources: initial values are COW milex 1970 ({DEFLATED}); all parameters are ILLUSTRATIVE.
Regime: stable_balance (the Greece-Turkey block has eigenvalues -a +/- c = -0.2, -0.8; the
superpower pair -0.1, -0.3). Setting c above a = 0.5 makes it a runaway inside NATO."""
    return model, header


def east_asia() -> tuple[rd.Model, str]:
    actors = ["USA", "Japan", "South Korea", "China", "North Korea"]
    abb = ["USA", "JPN", "ROK", "CHN", "PRK"]
    initial = [milex(s, 2014, 1e6) if s != "PRK" else 4.0 for s in abb]
    capacity = [cinc(s, 2014) for s in abb]
    model = rd.alliance_model(
        actors,
        {"US alliances": actors[:3], "China-DPRK": actors[3:]},
        reaction={
            ("USA", "China"): 0.3,
            ("China", "USA"): 0.3,
            ("Japan", "China"): 0.3,
            ("China", "Japan"): 0.2,
            ("South Korea", "North Korea"): 0.4,
            ("North Korea", "South Korea"): 0.3,
            ("North Korea", "USA"): 0.2,
        },
        capacity=capacity,
        asymmetry=0.5,
        chain_ganging={"Japan": 0.1, "South Korea": 0.1},
        fatigue=0.05,
        grievance={"China": 5.0, "North Korea": 0.2},
        ceiling={
            "USA": 900.0,
            "Japan": 150.0,
            "South Korea": 80.0,
            "China": 500.0,
            "North Korea": 8.0,
        },
        initial=initial,
        state_unit=USD,
        name="US-Japan-ROK vs China-DPRK, from 2014",
        description="East Asian alliances with power asymmetry (CINC), chain-ganging of the "
        "smaller allies and economic ceilings",
        metadata={
            "regime": "saturation",
            "sources": [DEFLATED],
            "check": "linear part runaway; trajectories stop at a stable state at the "
            "ceilings M (within 10%)",
        },
    )
    model = sources(
        model, ILLUSTRATIVE, {"k_": "illustrative; scaled by (E_j/E_i)^0.5 with E = COW CINC 2014"}
    )
    header = f"""US-Japan-ROK vs China-DPRK, from 2014, billion constant 2010 USD (COW milex deflated by
the US CPI-U).
Terms: adversary reaction k between specific pairs, power asymmetry (reactions scaled by
(E_j/E_i)^0.5 with E the COW CINC 2014 shares, computed at build time), chain-ganging of
Japan and South Korea (chain = 0.1: they react to threats facing their allies; Christensen and
Snyder 1990; called entrapment before issue 16), economic ceilings M.
Sources: initial values are COW milex 2014 ({DEFLATED}) except North Korea (missing in COW:
4 billion 2010 USD, ILLUSTRATIVE); capacities are COW CINC 2014; k, a = 0.05/year, g, M and
gamma = 0.5 are ILLUSTRATIVE.
Regime: saturation (the linear part is a runaway, but every escalation term is damped by
a smooth max(0, 1 - x_i/M_i), so spending settles at the ceilings: just below them, or for
North Korea, under the strongest pressure, 7% above its M, since the smooth ceiling lets
spending pass M by about 0.02 ln(E / (a M)) with E the escalation)."""
    return model, header


def russia_ukraine() -> tuple[rd.Model, str]:
    actors = ["Russia", "Ukraine", "NATO Europe", "USA", "Finland"]
    europe = sum(milex(s, 2014, 1e6) for s in ("UKG", "FRN", "GMY", "ITA", "POL"))
    initial = [
        milex("RUS", 2014, 1e6),
        milex("UKR", 2014, 1e6),
        europe,
        milex("USA", 2014, 1e6),
        milex("FIN", 2014, 1e6),
    ]
    reaction = {
        ("Russia", "Ukraine"): 0.3,
        ("Ukraine", "Russia"): 0.05,
        ("Russia", "NATO Europe"): 0.05,
        ("NATO Europe", "Russia"): 0.2,
        ("Russia", "USA"): 0.02,
        ("USA", "Russia"): 0.3,
        ("Finland", "Russia"): 0.01,
        ("Russia", "Finland"): 0.2,
    }
    coupling = {
        ("Finland", "NATO Europe"): -0.0005,
        ("Finland", "USA"): -0.0001,
        ("NATO Europe", "USA"): -0.05,
    }
    a = 0.3
    base = rd.alliance_model(
        actors,
        {"NATO": ["NATO Europe", "USA"]},
        reaction=reaction,
        ally_coupling=coupling,
        fatigue=a,
        enlargement={"Finland": "NATO"},
        initial=initial,
    )
    # grievances so that the 2014 values are the pre-shock balance: g = -(rhs without g)(x_2014)
    rates = base.compile().rhs(0.0, np.array(initial), base.param_vector())
    grievance = dict(zip(actors, (-rates).tolist(), strict=True))
    model = rd.alliance_model(
        actors,
        {"NATO": ["NATO Europe", "USA"]},
        reaction=reaction,
        ally_coupling=coupling,
        fatigue=a,
        grievance=grievance,
        enlargement={"Finland": "NATO"},
        initial=initial,
        state_unit=USD,
        name="Russia, Ukraine and NATO from 2014",
        description="Crimea/Donbas shock in 2014 (pulses in grievance) and NATO enlargement "
        "(Finland joins in 2023) on top of a Richardson balance",
        metadata={
            "regime": "stable_balance",
            "time_origin": "t = calendar year",
            "sources": [DEFLATED],
            "simulation": {"t0": 2014.0, "t1": 2040.0},
        },
    )
    model = sources(
        model,
        ILLUSTRATIVE,
        {"g_": "calibrated: the COW milex 2014 values are the equilibrium before the shock"},
    )
    model = rd.Model(
        **{
            **_fields(model),
            "interventions": (
                rd.pulse("g_Russia", 2014, 2, 15.0),
                rd.pulse("g_Ukraine", 2014, 3, 2.0),
                rd.step("join_Finland", 2023, 1.0),
            ),
        }
    )
    header = f"""Russia, Ukraine and NATO from 2014, billion constant 2010 USD (COW milex deflated by the US
CPI-U); time is the calendar year.
Actors: Russia, Ukraine, NATO Europe (UK + France + Germany + Italy + Poland), USA, Finland
(prospective NATO member). Interventions: the 2014 shock is a pulse in Russia's grievance
(+15 for 2 years) and Ukraine's (+2 for 3 years); enlargement is a step of join_Finland
from 0 to 1 in 2023, which switches on Finland's ally couplings with NATO.
Sources: initial values are COW milex 2014 ({DEFLATED}; NATO Europe is the sum of its five
members); grievances are CALIBRATED so that the 2014 values are the equilibrium before the
shock; reactions, couplings, a = {a}/year and the shock sizes are ILLUSTRATIVE.
Regime: stable_balance (the system returns to a balance after the shock; enlargement shifts
it slightly)."""
    return model, header


def trigger() -> tuple[rd.Model, str]:
    model = rd.alliance_model(
        ["Ally 1", "Ally 2", "Rival"],
        {"Alliance": ["Ally 1", "Ally 2"], "Rival": ["Rival"]},
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        defence_commitment=2.0,
        trigger_threshold=0.5,
        trigger_width=0.05,
        initial=[0.2, 0.2, 0.3],
        state_unit="spending index",
        name="Mutual-defence clause as a trigger point",
        description="Two allies with a mutual-defence clause facing one rival: a low-spending "
        "and a high-spending balance, separated by the clause's threshold",
        metadata={
            "regime": "bistable",
            "equilibria": "low: Rival ~ 0.265, allies ~ 0.206; high: Rival ~ 2.62, "
            "allies ~ 3.15; saddle between, where the threat k x_Rival ~ theta",
        },
    )
    model = sources(model, ILLUSTRATIVE)
    header = """Mutual-defence clause as a trigger point: Ally 1 and Ally 2 (one bloc) face a Rival.
Each ally commits s = 2 spending units/year once the threat perceived by the other ally,
k x_Rival, passes the threshold theta = 0.5 (width w = 0.05): dx_i/dt = k x_R - a x_i + g +
s sigmoid((k x_R - theta)/w); dx_R/dt = k (x_1 + x_2) - a x_R + g.
Sources: all parameters ILLUSTRATIVE (k = 0.4, a = 1, g = 0.1 per year), chosen so that the
symmetric equilibrium condition 0.85 x_R - 0.225 = 2 sigmoid((0.4 x_R - 0.5)/0.05) has three
roots.
Regime: bistable (two stable balances, x_R ~ 0.265 and ~ 2.62, and a saddle between them:
a crisis that pushes the threat past theta locks the alliance into the high state)."""
    return model, header


def confidence_building() -> tuple[rd.Model, str]:
    model = rd.alliance_model(
        ["Superpower A", "Superpower B"],
        {"A": ["Superpower A"], "B": ["Superpower B"]},
        reaction=0.5,
        distrust=0.5,
        fatigue=0.6,
        grievance=0.1,
        initial=[1.0, 1.0],
        state_unit="spending index (1962 = 1)",
        name="Confidence building: hotline and arms control, from 1962",
        description="Misperception drives a runaway; a hotline (1963) removes the distrust and "
        "an arms-control treaty (1969-1972) lowers the reaction, turning it into a balance",
        metadata={
            "regime": "runaway",
            "regime_after_interventions": "stable_balance",
            "time_origin": "t = calendar year",
            "simulation": {"t0": 1962.0, "t1": 2000.0},
        },
    )
    model = sources(model, ILLUSTRATIVE)
    model = rd.Model(
        **{
            **_fields(model),
            "interventions": (
                rd.step("d_Superpower_A", 1963, 0.0),
                rd.step("d_Superpower_B", 1963, 0.0),
                rd.ramp("k_Superpower_A_Superpower_B", 1969, 1972, 0.3),
                rd.ramp("k_Superpower_B_Superpower_A", 1969, 1972, 0.3),
            ),
        }
    )
    header = """Confidence-building measures: two superpowers from 1962 (spending index, 1962 = 1);
time is the calendar year.
dx/dt = (1 + d) k y - a x + g: with distrust d = 0.5 the perceived reaction (1 + d) k = 0.75
exceeds the fatigue a = 0.6, a runaway. Interventions: a hotline in 1963 sets d to 0 (step),
so (1 + d) k = 0.5 < a; an arms-control treaty ramps k from 0.5 to 0.3 over 1969-1972.
Sources: all parameters ILLUSTRATIVE.
Regime: runaway with the default parameters; stable_balance once the interventions have
acted (metadata regime_after_interventions)."""
    return model, header


def _fields(model: rd.Model) -> dict:
    return {
        "states": model.states,
        "params": dict(model.params),
        "rhs": model.rhs,
        "kind": model.kind,
        "actors": model.actors,
        "blocs": dict(model.blocs),
        "name": model.name,
        "description": model.description,
        "state_unit": model.state_unit,
        "time_unit": model.time_unit,
        "initial": dict(model.initial),
        "interventions": model.interventions,
        "metadata": dict(model.metadata),
    }


SCENARIOS = {
    "classic_two_nation": classic,
    "pre_1914_entente_triple_alliance": pre_1914,
    "nato_warsaw_pact": nato_warsaw,
    "greece_turkey_nato": greece_turkey,
    "east_asia": east_asia,
    "russia_ukraine_nato": russia_ukraine,
    "mutual_defence_trigger": trigger,
    "confidence_building": confidence_building,
}


def check(name: str, model: rd.Model) -> None:
    """Fail loudly if a scenario is not in the regime it claims."""
    regime = model.metadata["regime"]
    eig = linear_eigenvalues(model)
    if regime == "runaway":
        assert eig.real.max() > 0, (name, eig)
    elif regime == "threshold":
        assert eig.real.max() > 0, (name, eig)
        assert np.all(equilibrium_linear(model) > 0), name  # the saddle lies in the orthant
        start = [model.initial[s] for s in model.states]
        verdict = rd.classify(model, y0=start)
        assert verdict.name == "threshold" and verdict.fate == model.metadata["fate"], name
    elif regime == "stable_balance":
        assert eig.real.max() < 0, (name, eig)
        assert np.all(equilibrium_linear(model) > 0), name
    elif regime == "saturation":
        assert eig.real.max() > 0, (name, eig)
        run = rd.simulate(model, (0, 400))
        final = run.values[-1]
        ceilings = np.array([model.params[f"M_{s}"].value for s in model.states])
        # the smooth ceiling lets spending pass M by about w ln(E / (a M)), E the escalation
        assert run.runaway is None and np.all(final < 1.1 * ceilings), (name, final)
        assert np.max(final / ceilings) > 0.8, (name, final / ceilings)
    elif regime == "bistable":
        low = rd.simulate(model, (0, 60), y0=[0, 0, 0]).values[-1]
        high = rd.simulate(model, (0, 60), y0=[4, 4, 4]).values[-1]
        assert high[2] - low[2] > 1.0, (name, low, high)
    else:
        raise AssertionError(f"unknown regime {regime}")
    if "regime_after_interventions" in model.metadata:
        after = {i.param: i.to for i in model.interventions}
        assert linear_eigenvalues(model, after).real.max() < 0, name


def main() -> int:
    for name, build in SCENARIOS.items():
        model, header = build()
        check(name, model)
        path = rd.save_model(model, HERE / f"{name}.toml", header=header)
        assert rd.load_model(path) == model, name
        shutil.copyfile(path, PACKAGED / path.name)  # what rd.scenarios ships
        print(
            f"wrote {path.name}: {model.n_states} actors, {len(model.params)} parameters, "
            f"regime {model.metadata['regime']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
