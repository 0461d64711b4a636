# %% [markdown]
# # What-if analysis with `subsidy`
#
# A notebook-style script (cells marked `# %%`, for VS Code / Jupytext / Spyder; or run it whole:
# `python examples/whatif_notebook.py`). It loads the bundled rules and example enterprises and
# asks, for every choice the rule folder itself declares:
#
# * each alternative version of a policy (the members of each group),
# * each reading of each interpretation option,
# * each rate parameter raised by ten percentage points,
#
# how much each payer's total would change. Nothing here names a rule or a figure: the YAML knows
# the policies; this script only asks the engine. All amounts are exact `decimal.Decimal`s.

# %%
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

import subsidy

ROOT = Path(__file__).resolve().parents[1]
rules = subsidy.RuleSet.load(ROOT / "rules")
enterprises = ROOT / "examples" / "enterprises.yaml"
print(rules)

# %% [markdown]
# ## The baseline
# Default group members, default readings, latest parameter versions.

# %%
baseline = rules.evaluate_many(enterprises)
lines, totals = baseline.frames()
pd.set_option("display.width", 160)
print(totals[["enterprise", "name", "ok", "cash_min", "cash_max", "unfixed", "lines"]])
for payer, total in baseline.aggregate("payer").items():
    print(f"{payer}: {total}")

# %% [markdown]
# One enterprise explained: every line with the Chinese sentence it cites and how it was computed.

# %%
# Batches skip the trace for speed unless asked; ask for it here.
explained = rules.evaluate_many(enterprises, trace=True)[0]
explained.explain()


# %% [markdown]
# ## Scenarios the rule folder declares

# %%
def scenarios(rule_set: subsidy.RuleSet) -> list[tuple[str, subsidy.Scenario]]:
    found: list[tuple[str, subsidy.Scenario]] = []
    for group in rule_set.groups:
        for member in group.members:
            if member != group.default:
                found.append((f"choose {group.id}={member}", rule_set.choose({group.id: member})))
    for option in rule_set.options:
        for choice in option.choices:
            if choice != option.default:
                found.append(
                    (f"option {option.name}={choice}", rule_set.with_options({option.name: choice}))
                )
    for parameter in rule_set.parameters:
        if parameter.unit == "rate":
            raised = parameter.value + Decimal("0.10")
            found.append(
                (
                    f"set {parameter.qualified_name}={raised}",
                    rule_set.with_parameters({parameter.qualified_name: raised}),
                )
            )
    return found


rows = []
for label, scenario in scenarios(rules):
    comparison = subsidy.compare(rules, scenario, enterprises)
    for payer, change in comparison.by_payer.items():
        if change.change != subsidy.Band.zero() or change.unfixed_change:
            rows.append(
                {
                    "scenario": label,
                    "payer": payer,
                    "change_min": change.change.min,
                    "change_max": change.change.max,
                    "unfixed_change": change.unfixed_change,
                    "failed": len(comparison.failed),
                }
            )
columns = ["scenario", "payer", "change_min", "change_max", "unfixed_change", "failed"]
changes = pd.DataFrame(rows, columns=columns)
print(changes.to_string(index=False))

# %% [markdown]
# ## One comparison in detail
# Per-enterprise differences (floor and ceiling of the cash band) for the first declared scenario;
# the total is the sum of the per-enterprise changes.

# %%
declared = scenarios(rules)
if declared:
    label, scenario = declared[0]
    comparison = subsidy.compare(rules, scenario, enterprises)
    print(label)
    print(comparison)
    counted = comparison.per_enterprise[comparison.per_enterprise["ok"]]
    assert sum(counted["change_min"], Decimal(0)) == comparison.total.change.min
    print(counted[["enterprise", "baseline_min", "scenario_min", "change_min", "change_max"]])

