"""scenarios/scenarios.yaml -> scenario_base, scenario_projection, scenario_sensitivity.

The file names documented parameters with defaults (the baseline) and scenarios that set some of
them; loading validates every value against its bounds and names the line and field at fault.
The projection itself is one SQL table macro, project_scenario (sql/scenarios/070_scenarios.sql),
so the assets, the Scenarios dashboard and analysts all compute it the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipelines.config.yamlfile import SeedFileError, Where, is_null, read_sections
from pipelines.scenarios.trends import build_trends
from pipelines.warehouse.sql import insert_rows, read_sql, run_sql

HARDWARE_PARAMETERS = ("hardware_factor", "pass_through_share", "pass_through_lag_months",
                       "adoption_ramp_months")
WHOLE_NUMBERS = {"horizon_months", "pass_through_lag_months", "adoption_ramp_months"}


class ScenarioFileError(SeedFileError):
    pass


@dataclass(frozen=True)
class Parameter:
    name: str
    default: object
    doc: str
    low: Decimal | None = None
    high: Decimal | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Scenario:
    scenario_id: str
    title: str
    doc: str
    values: dict[str, object]  # only what the scenario sets


@dataclass
class ScenarioFile:
    parameters: dict[str, Parameter]
    routes: list[tuple[str, str, str]]
    batch_discounts: dict[str, Decimal]
    scenarios: list[Scenario]
    sensitivity_scenario: str
    sensitivity_grid: dict[str, list[Decimal]]
    fingerprint: str

    def resolved(self, scenario: Scenario | dict) -> dict[str, object]:
        """Every parameter's value for a scenario (or a dict of values): the defaults, then what
        it sets."""
        values = scenario.values if isinstance(scenario, Scenario) else scenario
        return {name: values.get(name, p.default) for name, p in self.parameters.items()}

    def scenario(self, scenario_id: str) -> Scenario:
        return next(s for s in self.scenarios if s.scenario_id == scenario_id)


def load(path: Path) -> ScenarioFile:
    where, top = read_sections(path, ScenarioFileError, {
        "parameters", "routes", "batch_discounts", "scenarios", "sensitivity"})
    parameters = _parameters(where, top["parameters"])
    scenarios = []
    for node in where.sequence(top["scenarios"], "scenarios"):
        fields = where.mapping(node, "scenarios")
        where.check_fields(node, fields, {"id", "title", "doc", "parameters"}, set())
        values = _values(where, fields["parameters"], parameters)
        scenarios.append(Scenario(where.required_text(fields, "id"),
                                  where.required_text(fields, "title"),
                                  where.required_text(fields, "doc"), values))
    ids = [s.scenario_id for s in scenarios]
    if "baseline" not in ids or scenarios[ids.index("baseline")].values:
        raise where.error(top["scenarios"], "scenarios",
                          "needs a 'baseline' scenario that sets no parameter")
    if len(set(ids)) != len(ids):
        raise where.error(top["scenarios"], "scenarios", "scenario ids must be unique")
    routes = []
    for node in where.sequence(top["routes"], "routes"):
        fields = where.mapping(node, "routes")
        where.check_fields(node, fields, {"provider", "from", "to"}, set())
        routes.append((where.required_text(fields, "provider"),
                       where.required_text(fields, "from"), where.required_text(fields, "to")))
    discounts_node = top["batch_discounts"]
    discounts = {key: where.number({key: value}, key, Decimal(0), Decimal(1))
                 for key, value in where.mapping(discounts_node, "batch_discounts").items()}
    sensitivity = where.mapping(top["sensitivity"], "sensitivity")
    where.check_fields(top["sensitivity"], sensitivity, {"scenario", "grid"}, set())
    sensitivity_scenario = where.text(sensitivity, "scenario")
    if sensitivity_scenario not in ids:
        raise where.error(sensitivity["scenario"], "sensitivity.scenario",
                          f"{sensitivity_scenario!r} is not a scenario of this file")
    grid = {}
    for name, node in where.mapping(sensitivity["grid"], "grid").items():
        if name not in HARDWARE_PARAMETERS:
            raise where.error(node, f"sensitivity.grid.{name}",
                              f"expected one of {', '.join(HARDWARE_PARAMETERS)}")
        grid[name] = [_value(where, item, parameters[name])
                      for item in where.sequence(node, name)]
    fingerprint = hashlib.blake2b(Path(path).read_bytes(), digest_size=6).hexdigest()
    return ScenarioFile(parameters, routes, discounts, scenarios, sensitivity_scenario, grid,
                        fingerprint)


def _parameters(where: Where, node) -> dict[str, Parameter]:
    parameters = {}
    for name, spec_node in where.mapping(node, "parameters").items():
        spec = where.mapping(spec_node, "parameters")
        where.check_fields(spec_node, spec, {"default", "doc"}, {"min", "max", "choices"})
        doc = where.required_text(spec, "doc")
        if "choices" in spec or "min" not in spec:
            choices = tuple(item.value for item in where.sequence(spec["choices"], name)
                            ) if "choices" in spec else None
            default = where.text(spec, "default")
            if choices is not None and default not in choices:
                raise where.error(spec["default"], f"{name}.default",
                                  f"must be one of {', '.join(choices)}")
            parameters[name] = Parameter(name, default, doc, choices=choices)
            continue
        low, high = (where.number(spec, "min", Decimal("-1e9"), None),
                     where.number(spec, "max", Decimal("-1e9"), None))
        parameter = Parameter(name, None, doc, low, high)
        parameters[name] = Parameter(name, _value(where, spec["default"], parameter), doc,
                                     low, high)
    return parameters


def _value(where: Where, node, parameter: Parameter):
    if parameter.low is None:  # a text parameter
        value = where.text({parameter.name: node}, parameter.name)
        if parameter.choices is not None and value not in parameter.choices:
            raise where.error(node, parameter.name,
                              f"must be one of {', '.join(parameter.choices)}")
        return value
    number = where.number({parameter.name: node}, parameter.name, parameter.low, parameter.high)
    if parameter.name in WHOLE_NUMBERS:
        if number != number.to_integral_value():
            raise where.error(node, parameter.name, "must be a whole number of months")
        return int(number)
    return number


def _values(where: Where, node, parameters: dict[str, Parameter]) -> dict[str, object]:
    if is_null(node):
        return {}
    values = {}
    for name, value_node in where.mapping(node, "parameters").items():
        if name not in parameters:
            raise where.error(value_node, name, "is not a parameter defined under 'parameters'")
        values[name] = _value(where, value_node, parameters[name])
    return values


def macro_arguments(values: dict[str, object], prefix: str = "") -> tuple[str, dict]:
    """project_scenario's named arguments, bound as parameters (named `prefix` + the argument,
    so that several calls can share one statement)."""
    arguments = ", ".join(f"{name} := ${prefix}{name}" for name in values)
    return arguments, {prefix + name: (float(v) if isinstance(v, Decimal) else v)
                       for name, v in values.items()}


def project(conn, values: dict[str, object]):
    """The projection for these parameter values, one row per month and cell (a relation)."""
    arguments, params = macro_arguments(values)
    return conn.execute(f"SELECT * FROM project_scenario({arguments})", params)


def build_base(conn, scenario_file: ScenarioFile) -> int:
    """The routes, discounts and parameters of the file, then the trends (every method, fitted
    and backtested) and the base window."""
    conn.execute("DELETE FROM scenario_routes")
    if scenario_file.routes:
        insert_rows(conn, "scenario_routes", list(scenario_file.routes))
    conn.execute("DELETE FROM scenario_batch_discounts")
    insert_rows(conn, "scenario_batch_discounts",
                [(p, str(d)) for p, d in scenario_file.batch_discounts.items()])
    conn.execute("DELETE FROM scenario_parameters")
    rows = []
    for scenario in scenario_file.scenarios:
        for name, value in scenario_file.resolved(scenario).items():
            parameter = scenario_file.parameters[name]
            rows.append((scenario.scenario_id, scenario.title, scenario.doc, name, str(value),
                         name not in scenario.values, parameter.doc,
                         None if parameter.low is None else float(parameter.low),
                         None if parameter.high is None else float(parameter.high)))
    insert_rows(conn, "scenario_parameters", rows)
    run_sql(conn, read_sql("scenarios/scenario_trend_history.sql"))
    baseline = scenario_file.resolved(scenario_file.scenario("baseline"))
    build_trends(conn, as_double(baseline["min_monthly_growth"]),
                 as_double(baseline["max_monthly_growth"]))
    run_sql(conn, read_sql("scenarios/scenario_base.sql"))
    return conn.execute("SELECT count(*) FROM scenario_base").fetchone()[0]


def build_projections(conn, scenario_file: ScenarioFile) -> int:
    conn.execute("DELETE FROM scenario_projection")
    # One INSERT for every scenario: in the lake's transaction each insert is a change of its
    # own (ten inserts cost 0.6 s of a nightly run).
    selects, params = [], {}
    for index, scenario in enumerate(scenario_file.scenarios):
        prefix = f"s{index}_"
        arguments, values = macro_arguments(scenario_file.resolved(scenario), prefix)
        params.update(values)
        params[f"{prefix}scenario_id"] = scenario.scenario_id
        selects.append(f"SELECT ${prefix}scenario_id AS scenario_id, "
                       f"* EXCLUDE (pass_through_date) FROM project_scenario({arguments})")
    conn.execute("INSERT INTO scenario_projection BY NAME " + " UNION ALL ".join(selects),
                 params)
    return conn.execute("SELECT count(*) FROM scenario_projection").fetchone()[0]


def as_double(value: object) -> float:
    """A parameter's value bound as a DOUBLE. Values are typed `object` because a parameter may
    be a text; the hardware parameters are numbers (Decimal, or int for months)."""
    if not isinstance(value, Decimal | int | float | str):
        raise TypeError(f"float() argument must be a string or a real number, not "
                        f"{type(value).__name__!r}")
    return float(value)


def build_sensitivity(conn, scenario_file: ScenarioFile) -> int:
    """Each combination of the grid, the scenario's other parameters kept. The hardware
    parameters only scale each month's price, so the scenario is projected once with prices as
    today and every combination prices those monthly totals (rounded per month, not per cell as
    in scenario_projection: totals agree to well under a cent)."""
    scenario = scenario_file.scenario(scenario_file.sensitivity_scenario)
    values = {**scenario_file.resolved(scenario), "pass_through_share": 0}
    arguments, params = macro_arguments(values)
    grid = scenario_file.sensitivity_grid
    defaults = scenario_file.resolved(scenario)
    axes = {name: [as_double(v) for v in grid.get(name, [defaults[name]])]
            for name in HARDWARE_PARAMETERS}
    # The macro's named arguments are parameter names of the validated file; values are bound.
    text = read_sql("scenarios/scenario_sensitivity.sql").replace("{arguments}", arguments)
    run_sql(conn, text, {**params, "scenario_id": scenario.scenario_id,
                         "factors": axes["hardware_factor"], "shares": axes["pass_through_share"],
                         "lags": axes["pass_through_lag_months"],
                         "ramps": axes["adoption_ramp_months"]})
    return conn.execute("SELECT count(*) FROM scenario_sensitivity").fetchone()[0]
