"""Enterprise-years in a Dask DataFrame, evaluated on a local cluster of two worker processes.

Run from the repository root: python examples/dask_evaluate.py"""

from decimal import Decimal

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

import subsidy
import subsidy.dask

# Two enterprises, two years each; money as exact decimals (never float).
population = pd.DataFrame(
    {
        "id": ["E1", "E1", "E2", "E2"],
        "year": [2022, 2023, 2022, 2023],
        "industry": ["机械装备制造", "机械装备制造", "机械加工", "机械加工"],
        "sales_revenue": [Decimal("120000000"), Decimal("135000000.50"), Decimal("8000000"), Decimal("9000000")],
        "land_use_tax": [Decimal("100000")] * 4,
        "income_tax_paid": [Decimal("3000000"), Decimal("3600000"), Decimal("150000"), Decimal("120000")],
        "income_tax_paid_last_year": [Decimal("2000000"), Decimal("3000000"), Decimal("100000"), Decimal("150000")],
    }
)

if __name__ == "__main__":  # worker processes import this file: start the cluster only once
    rules = subsidy.RuleSet.load("rules")
    survey = rules.choose({"electromechanical-policy": "machining-survey"})
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster):
        with dask.config.set({"dataframe.convert-string": False}):  # keep the Decimal objects
            frame = dd.from_pandas(population, npartitions=2)
        lines, totals = subsidy.dask.evaluate(survey, frame)  # lazy; rows of one id together
        lines, totals = dask.compute(lines, totals)  # each partition evaluated once for both
        print(totals[["enterprise", "cash_min", "cash_max"]].sort_values(["enterprise", "cash_max"]).to_string(index=False))

        what_if = survey.with_parameters({"machining-survey.rebate_rate_low": "60%"})
        comparison = subsidy.dask.compare(survey, what_if, frame)
        print("change:", comparison.total.change)
