"""Enterprise-years in a Spark DataFrame, evaluated through mapInArrow in local[2] mode.

Run from the repository root: python examples/spark_evaluate.py"""

import os
import sys
from decimal import Decimal

from pyspark.sql import SparkSession

import subsidy
import subsidy.spark

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers: this interpreter
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
# Money is DecimalType(38, 2): exact to the 分. A double column would be refused.
population = spark.createDataFrame(
    [
        ("E1", 2022, "机械装备制造", Decimal("120000000.00"), Decimal("100000.00"), Decimal("3000000.00"), Decimal("2000000.00")),
        ("E1", 2023, "机械装备制造", Decimal("135000000.50"), Decimal("100000.00"), Decimal("3600000.00"), Decimal("3000000.00")),
        ("E2", 2022, "机械加工", Decimal("8000000.00"), Decimal("100000.00"), Decimal("150000.00"), Decimal("100000.00")),
        ("E2", 2023, "机械加工", Decimal("9000000.00"), Decimal("100000.00"), Decimal("120000.00"), Decimal("150000.00")),
    ],
    "id string, year long, industry string, sales_revenue decimal(38,2), land_use_tax decimal(38,2), "
    "income_tax_paid decimal(38,2), income_tax_paid_last_year decimal(38,2)",
)

rules = subsidy.RuleSet.load("rules")
survey = rules.choose({"electromechanical-policy": "machining-survey"})
result = subsidy.spark.evaluate(survey, population)  # rows of one id evaluated together
result.totals.select("enterprise", "year", "cash_min", "cash_max").orderBy("enterprise", "year").show()
result.by_payer().select("payer", "cash_min", "cash_max").show(truncate=False)  # summed by Spark, exactly
