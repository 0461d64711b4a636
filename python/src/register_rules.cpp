// subsidy::RuleSet: loading (GIL released), and its contents as plain dicts the Python layer turns
// into dataclasses. Pickles as its sources, rebuilt with load_texts.
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"

namespace subsidy_py {

using namespace pybind11::literals;

py::dict text_dict(const subsidy::Text& text) {
  return py::dict("zh"_a = text.zh, "en"_a = text.en);
}

py::dict citation_dict(const subsidy::Citation& citation) {
  return py::dict("document"_a = citation.document, "clause"_a = citation.clause,
                  "lines"_a = citation.lines, "text"_a = citation.text);
}

namespace {

py::object optional_date(const std::optional<subsidy::Date>& date) {
  return date ? date_to_python(*date) : py::object(py::none());
}

py::dict mark_dict(const subsidy::Mark& mark) {
  return py::dict("file"_a = mark.file, "line"_a = mark.line, "column"_a = mark.column);
}

py::dict policy_set_dict(const subsidy::PolicySetInfo& info) {
  return py::dict("id"_a = info.id, "title"_a = text_dict(info.title), "issuer"_a = info.issuer,
                  "document_number"_a = info.document_number, "date"_a = optional_date(info.date),
                  "date_as_written"_a = info.date_as_written,
                  "status"_a = subsidy::to_string(info.status), "applies_to"_a = info.applies_to,
                  "group"_a = info.group, "file"_a = info.file, "rule_count"_a = info.rule_count,
                  "in_force"_a = info.in_force.to_string());
}

py::dict tier_dict(const subsidy::TierInfo& tier) {
  auto bound = [](const std::optional<subsidy::Decimal>& value) {
    return value ? decimal_to_python(*value) : py::object(py::none());
  };
  return py::dict("label"_a = tier.label, "lower"_a = bound(tier.lower),
                  "lower_inclusive"_a = tier.lower_inclusive, "lower_word"_a = tier.lower_word,
                  "upper"_a = bound(tier.upper), "upper_inclusive"_a = tier.upper_inclusive,
                  "upper_word"_a = tier.upper_word);
}

py::dict rule_dict(const subsidy::RuleInfo& info) {
  py::list tiers;
  for (const auto& tier : info.tiers) tiers.append(tier_dict(tier));
  return py::dict(
      "policy_set"_a = info.policy_set, "id"_a = info.id, "qualified_id"_a = info.qualified_id,
      "title"_a = text_dict(info.title), "citation"_a = citation_dict(info.citation),
      "payer"_a = info.payer, "payer_inferred"_a = info.payer_inferred,
      "form"_a = subsidy::to_string(info.form), "in_kind"_a = text_dict(info.in_kind),
      "recurrence"_a = info.recurrence.to_string(), "kind"_a = subsidy::to_string(info.kind),
      "when"_a = info.when, "amount_summary"_a = info.amount_summary,
      "rounding"_a = std::string(subsidy::to_string(info.rounding)),
      "rounding_exponent"_a = info.rounding_exponent, "tiers"_a = tiers,
      "hit"_a = subsidy::to_string(info.hit), "mark"_a = mark_dict(info.mark));
}

py::dict parameter_dict(const subsidy::ParameterInfo& info) {
  py::list versions;
  for (const auto& version : info.versions) {
    versions.append(py::dict("from"_a = optional_date(version.from),
                             "value"_a = decimal_to_python(version.value),
                             "reference"_a = version.reference));
  }
  return py::dict("policy_set"_a = info.policy_set, "name"_a = info.name,
                  "qualified_name"_a = info.qualified_name, "unit"_a = info.unit.to_string(),
                  "label"_a = text_dict(info.label), "versions"_a = versions);
}

py::dict option_dict(const subsidy::OptionInfo& info) {
  py::dict choices;
  for (const auto& [name, text] : info.choices) choices[py::str(name)] = text_dict(text);
  return py::dict("name"_a = info.name, "question"_a = text_dict(info.question),
                  "choices"_a = choices, "default"_a = info.default_choice, "see"_a = info.see);
}

py::dict group_dict(const subsidy::GroupInfo& info) {
  return py::dict("id"_a = info.id, "title"_a = text_dict(info.title),
                  "default"_a = info.default_member, "members"_a = info.members);
}

py::dict fact_dict(const subsidy::FactDecl& decl) {
  py::list fields;
  for (const auto& field : decl.fields) fields.append(fact_dict(field));
  return py::dict("name"_a = decl.name, "unit"_a = decl.unit.to_string(),
                  "label"_a = text_dict(decl.label), "required"_a = decl.required,
                  "values"_a = decl.values, "fields"_a = fields,
                  "has_default"_a = decl.default_value.has_value(),
                  "default"_a = decl.default_value ? raw_to_python(*decl.default_value)
                                                   : py::object(py::none()));
}

py::dict payer_dict(const subsidy::Payer& payer) {
  return py::dict("id"_a = payer.id, "en"_a = payer.en, "level"_a = payer.level);
}

py::dict budget_dict(const subsidy::BudgetLine& line) {
  py::list items;
  for (const auto& item : line.items) {
    items.append(py::dict("label"_a = item.label, "amount"_a = decimal_to_python(item.amount)));
  }
  return py::dict("policy_set"_a = line.policy_set, "id"_a = line.id,
                  "citation"_a = citation_dict(line.citation), "payer"_a = line.payer,
                  "per"_a = line.per, "min"_a = decimal_to_python(line.min),
                  "max"_a = line.max ? decimal_to_python(*line.max) : py::object(py::none()),
                  "items"_a = items, "covers"_a = line.covers);
}

py::dict summary_dict(const subsidy::RuleSetSummary& summary) {
  return py::dict("files"_a = summary.files, "policy_sets"_a = summary.policy_sets,
                  "rules"_a = summary.rules, "parameters"_a = summary.parameters,
                  "options"_a = summary.options, "facts"_a = summary.facts,
                  "budget_lines"_a = summary.budget_lines, "checks"_a = summary.checks,
                  "text"_a = summary.to_string());
}

py::object shape_dict(const std::optional<subsidy::ExprShape>& shape);

py::dict expr_dict(const subsidy::ExprShape& x) {
  py::list args;
  for (const auto& a : x.args) args.append(expr_dict(a));
  return py::dict("id"_a = x.id, "op"_a = x.op, "text"_a = x.text, "cmp"_a = x.cmp, "ref"_a = x.ref,
                  "qualified"_a = x.qualified, "unit"_a = x.unit,
                  "value"_a = x.value ? decimal_to_python(*x.value) : py::object(py::none()),
                  "boolean"_a = x.boolean, "strings"_a = x.strings, "pos"_a = x.pos,
                  "args"_a = args);
}

py::object shape_dict(const std::optional<subsidy::ExprShape>& shape) {
  return shape ? py::object(expr_dict(*shape)) : py::object(py::none());
}

py::dict award_shape_dict(const subsidy::AwardShape& award) {
  py::list levels;
  for (const auto& level : award.levels) {
    levels.append(py::dict("tier"_a = tier_dict(level.info), "lower"_a = shape_dict(level.lower),
                           "upper"_a = shape_dict(level.upper),
                           "award"_a = level.award.empty()
                                           ? py::object(py::none())
                                           : py::object(award_shape_dict(level.award[0]))));
  }
  return py::dict("kind"_a = award.kind, "a"_a = shape_dict(award.a), "b"_a = shape_dict(award.b),
                  "list"_a = award.list, "where"_a = shape_dict(award.where),
                  "each"_a = award.each.empty() ? py::object(py::none())
                                                : py::object(award_shape_dict(award.each[0])),
                  "levels"_a = levels, "hit"_a = award.hit);
}

py::dict rule_shape_dict(const subsidy::RuleShape& shape) {
  py::list derived;
  for (const auto& d : shape.derived) {
    derived.append(
        py::dict("name"_a = d.name, "source"_a = d.source, "shape"_a = expr_dict(d.shape)));
  }
  return py::dict(
      "qualified_id"_a = shape.qualified_id, "when_source"_a = shape.when_source,
      "when"_a = shape_dict(shape.when), "applies_to_source"_a = shape.applies_to_source,
      "applies_to"_a = shape_dict(shape.applies_to), "award"_a = award_shape_dict(shape.award),
      "derived"_a = derived, "nodes"_a = shape.nodes);
}

template <class T, class F>
py::list list_of(const std::vector<T>& items, F convert) {
  py::list out;
  for (const auto& item : items) out.append(convert(item));
  return out;
}

using Sources = std::vector<std::pair<std::string, std::string>>;

subsidy::RuleSet load_texts(const Sources& sources) {
  py::gil_scoped_release release;
  return subsidy::RuleSet::load_texts(sources);
}

}  // namespace

void register_rules(py::module_& m) {
  using subsidy::RuleSet;
  py::class_<RuleSet>(m, "RuleSet", "A compiled, checked, immutable rule set.")
      .def_static(
          "load",
          [](const std::vector<std::string>& paths) {
            py::gil_scoped_release release;
            return RuleSet::load(paths);
          },
          py::arg("paths"),
          "Loads and checks rule files or folders; raises SubsidyError listing every problem.")
      .def_static("load_texts", &load_texts, py::arg("sources"),
                  "Loads from (name, YAML text) pairs; names are used in error locations.")
      .def("policy_sets",
           [](const RuleSet& rules) { return list_of(rules.policy_sets(), policy_set_dict); })
      .def("rules", [](const RuleSet& rules) { return list_of(rules.rules(), rule_dict); })
      .def("parameters",
           [](const RuleSet& rules) { return list_of(rules.parameters(), parameter_dict); })
      .def("options", [](const RuleSet& rules) { return list_of(rules.options(), option_dict); })
      .def("groups", [](const RuleSet& rules) { return list_of(rules.groups(), group_dict); })
      .def("facts", [](const RuleSet& rules) { return list_of(rules.facts(), fact_dict); })
      .def("payers", [](const RuleSet& rules) { return list_of(rules.payers(), payer_dict); })
      .def(
          "facts_needed",
          [](const RuleSet& rules, const std::string& id) {
            return subsidy::facts_needed(rules, id);
          },
          py::arg("id"), "The facts a rule, check, cap or policy set reads (data dictionary).")
      .def("budget", [](const RuleSet& rules) { return list_of(rules.budget(), budget_dict); })
      .def("summary", [](const RuleSet& rules) { return summary_dict(rules.summary()); })
      .def("period_warnings", &RuleSet::period_warnings,
           "Parameters whose versions leave a gap inside their policy set's period of force, and "
           "rules reading a parameter on days it has no value.")
      .def(
          "find_rule",
          [](const RuleSet& rules, const std::string& qualified_id) -> py::object {
            const subsidy::RuleInfo* info = rules.find_rule(qualified_id);
            return info ? py::object(rule_dict(*info)) : py::object(py::none());
          },
          py::arg("qualified_id"))
      .def(
          "find_parameter",
          [](const RuleSet& rules, const std::string& name) -> py::object {
            const subsidy::ParameterInfo* info = rules.find_parameter(name);
            return info ? py::object(parameter_dict(*info)) : py::object(py::none());
          },
          py::arg("name"))
      .def(
          "rule_shape",
          [](const RuleSet& rules, const std::string& id, const subsidy::Scenario& scenario) {
            return rule_shape_dict(subsidy::rule_shape(rules, id, scenario));
          },
          py::arg("qualified_id"), py::arg("scenario"),
          "The rule's compiled condition, award and derived values as trees (bounds valued).")
      .def(
          "probe_rule",
          [](const RuleSet& rules, const std::string& id, const Enterprises& batch,
             std::size_t index, const subsidy::Scenario& scenario) {
            if (index >= batch.items.size()) throw py::index_error("no such record");
            py::list out;
            for (const auto& [node, value] :
                 subsidy::probe_rule(rules, id, batch.items[index], scenario)) {
              out.append(py::make_tuple(node, decimal_to_python(value)));
            }
            return out;
          },
          py::arg("qualified_id"), py::arg("records"), py::arg("index"), py::arg("scenario"),
          "The (node id, value) pairs the rule's comparison sides take for one record.")
      .def(
          "parameter_values",
          [](const RuleSet& rules, const subsidy::Scenario& scenario) {
            py::list out;
            for (const auto& value : subsidy::parameter_values(rules, scenario)) {
              out.append(decimal_to_python(value));
            }
            return out;
          },
          py::arg("scenario"), "Each parameter's value under the scenario, in parameters() order.")
      .def("sources", [](const RuleSet& rules) { return rules.sources(); })
      .def_property_readonly("fingerprint",
                             [](const RuleSet& rules) { return rules.fingerprint(); })
      .def(py::pickle([](const RuleSet& rules) { return py::make_tuple(rules.sources()); },
                      [](const py::tuple& state) {
                        if (state.size() != 1) throw std::runtime_error("bad RuleSet pickle state");
                        return load_texts(state[0].cast<Sources>());
                      }))
      .def("__repr__", [](const RuleSet& rules) {
        return "<subsidy._core.RuleSet " + rules.summary().to_string() + ">";
      });
}

}  // namespace subsidy_py
