"""Workload J (the machining-survey J4 tax rebate alone) in OpenFisca, the peer analysts would pick.

Written the way openfisca-country-template writes a model: one entity (a firm), input variables
and one output variable with a vectorised numpy formula, the figures as dated parameters in YAML,
values in float32 (OpenFisca's ``value_type = float``). Inputs are set as whole arrays
(``Simulation.set_input``), so the formula runs once over every firm. Benchmark only:
``pip install openfisca-core`` (not a dependency of the library).

The same reading of J4 as the rule file under its default options (and as bench/handwritten.hpp):
above 1亿 of sales revenue, 50% of land-use tax plus new income tax (never below zero); above 5亿,
50% of land-use tax plus 70% of new income tax; rounded half up to the 分.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

PARAMETERS = {
    "revenue_threshold_low.yaml": ("sales revenue above which the 50% rebate applies", "100000000"),
    "revenue_threshold_high.yaml": ("sales revenue above which the 70% rebate applies", "500000000"),
    "rate_low.yaml": ("rebate rate on land-use tax and new income tax", "0.5"),
    "rate_high.yaml": ("rebate rate on new income tax above 5亿", "0.7"),
}
PERIOD = "2023"


def tax_benefit_system(parameters: Path) -> Any:
    from openfisca_core.entities import build_entity
    from openfisca_core.indexed_enums import Enum
    from openfisca_core.model_api import max_, round_, where
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Firm = build_entity(key="firm", plural="firms", label="An enterprise", is_person=True)

    class Industry(Enum):
        mining_em = "矿用机电"
        machining = "机械加工"
        machinery_manufacturing = "机械装备制造"
        other = "其他"

    class industry(Variable):
        value_type = Enum
        possible_values = Industry
        default_value = Industry.other
        entity = Firm
        definition_period = DateUnit.YEAR
        label = "Industry"

    def money(name: str, text: str) -> type:
        return type(name, (Variable,), {
            "value_type": float, "entity": Firm, "definition_period": DateUnit.YEAR, "label": text,
        })

    class j4_tax_rebate(Variable):
        value_type = float
        entity = Firm
        definition_period = DateUnit.YEAR
        label = "Tax rebate for machinery manufacturers (machining-survey 五（三）4)"

        def formula(firm: Any, period: Any, parameters: Any) -> Any:
            p = parameters(period).j4
            revenue = firm("sales_revenue", period)
            land = firm("land_use_tax", period)
            increase = max_(firm("income_tax_paid", period) - firm("income_tax_paid_last_year", period), 0)
            eligible = (firm("industry", period) == Industry.machinery_manufacturing) * (
                revenue > p.revenue_threshold_low
            )
            rebate = where(
                revenue > p.revenue_threshold_high,
                p.rate_low * land + p.rate_high * increase,
                p.rate_low * (land + increase),
            )
            return eligible * round_(max_(rebate, 0), 2)

    class System(TaxBenefitSystem):
        def __init__(self) -> None:
            super().__init__([Firm])
            for variable in (
                industry, j4_tax_rebate,
                money("sales_revenue", "Sales revenue"), money("land_use_tax", "Land-use tax"),
                money("income_tax_paid", "Income tax paid"),
                money("income_tax_paid_last_year", "Income tax paid last year"),
            ):
                self.add_variable(variable)
            self.load_parameters(str(parameters))

    return System(), Industry


def write_parameters(folder: Path) -> None:
    (folder / "j4").mkdir(parents=True, exist_ok=True)
    for name, (description, value) in PARAMETERS.items():
        (folder / "j4" / name).write_text(
            f"description: {description}\nvalues:\n  2010-01-28:\n    value: {value}\n", encoding="utf-8"
        )


class OpenFiscaJ:
    """``simulation()`` builds a simulation of every firm with the inputs set as arrays; ``calculate`` computes J4."""

    def __init__(self, d: dict[str, np.ndarray], n: int) -> None:
        self._folder = tempfile.TemporaryDirectory()
        write_parameters(Path(self._folder.name))
        self.system, industry = tax_benefit_system(Path(self._folder.name))
        yuan = {k: (d[k][:n] / 100).astype(np.float32) for k in ("revenue", "land_tax", "income_tax", "income_tax_last")}
        self.inputs = {
            "industry": industry.encode(d["industry"][:n].astype(np.int32)),
            "sales_revenue": yuan["revenue"],
            "land_use_tax": yuan["land_tax"],
            "income_tax_paid": yuan["income_tax"],
            "income_tax_paid_last_year": yuan["income_tax_last"],
        }
        self.n = n

    def simulation(self) -> Any:
        """A fresh simulation of every firm with the inputs set (OpenFisca caches what it computed)."""
        from openfisca_core.simulation_builder import SimulationBuilder

        simulation = SimulationBuilder().build_default_simulation(self.system, count=self.n)
        for name, values in self.inputs.items():
            simulation.set_input(name, PERIOD, values)
        return simulation

    @staticmethod
    def calculate(simulation: Any) -> np.ndarray:
        result: np.ndarray = simulation.calculate("j4_tax_rebate", PERIOD)
        return result

    def close(self) -> None:
        self._folder.cleanup()
