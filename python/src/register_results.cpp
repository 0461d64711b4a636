// The result types bound directly: Text, Citation, TraceStep, Band, Total, Totals, AwardLine,
// Finding, PassedOver, Unevaluated and the evaluation itself. Each field is a read-only property
// giving exact decimal.Decimal amounts and plain str / int / bool / None / tuples.
//
// The `subsidy` package subclasses these classes to add what is Python's only (money formatting,
// explanations, arithmetic on bands and totals); it registers its subclasses here once, and every
// result the engine hands over is then made as an instance of the package's class, with no Python
// code run to build it. Each class behaves as the frozen dataclass it replaces: equality and
// hashing by fields, pickling by its constructor's arguments (Dask and Spark ship results between
// processes), a repr naming the fields.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "bindings.hpp"

namespace subsidy_py {

namespace {

using subsidy::AwardLine;
using subsidy::Band;
using subsidy::Citation;
using subsidy::Evaluation;
using subsidy::Finding;
using subsidy::LineStatus;
using subsidy::PassedOver;
using subsidy::RuleInfo;
using subsidy::Text;
using subsidy::Total;
using subsidy::Totals;
using subsidy::TraceStep;
using subsidy::Unevaluated;

/// The package's subclass of each bound type (borrowed: the registry keeps a reference for the
/// life of the process, so no Python object is released after the interpreter has gone).
std::map<std::type_index, PyTypeObject*>& subclasses() {
  static auto* registry = new std::map<std::type_index, PyTypeObject*>();
  return *registry;
}

}  // namespace

template <class T>
py::object make_result(T value) {
  auto& registry = subclasses();
  const auto it = registry.find(typeid(T));
  if (it == registry.end()) return py::cast(std::move(value));
  // As pybind11 constructs an instance for __init__: allocate the subclass's instance, place the
  // C++ value in it and let the holder take it.
  PyTypeObject* type = it->second;
  py::object self =
      py::reinterpret_steal<py::object>(type->tp_new(type, py::tuple().ptr(), nullptr));
  if (!self) throw py::error_already_set();
  auto* inst = reinterpret_cast<py::detail::instance*>(self.ptr());
  auto v_h = inst->get_value_and_holder(py::detail::get_type_info(typeid(T)));
  v_h.value_ptr() = new T(std::move(value));
  v_h.type->init_instance(inst, nullptr);
  return self;
}

namespace {

template <class T, class F>
py::tuple tuple_of(const std::vector<T>& items, F each) {
  py::tuple out(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out[i] = each(items[i]);
  return out;
}

bool has_amount(LineStatus status) {
  return status == LineStatus::exact || status == LineStatus::decided;
}
bool has_band(LineStatus status) { return has_amount(status) || status == LineStatus::band; }

const RuleInfo& info_of(const std::shared_ptr<const RuleInfo>& info) {
  static const RuleInfo none;
  return info ? *info : none;
}

/// An enumeration value from its name (the inverse of subsidy::to_string), for results built
/// from Python (unpickled).
template <class E>
E enum_from(const std::string& name, std::initializer_list<E> values, const char* what) {
  for (E value : values) {
    if (name == subsidy::to_string(value)) return value;
  }
  throw py::value_error(std::string("unknown ") + what + " '" + name + "'");
}

LineStatus status_from(const std::string& name) {
  return enum_from(name,
                   {LineStatus::exact, LineStatus::band, LineStatus::decided, LineStatus::unfixed,
                    LineStatus::recognised},
                   "line status");
}

/// "one_time", "yearly" or "N years from EXPR", as Recurrence::to_string writes it.
subsidy::Recurrence recurrence_from(const std::string& text) {
  subsidy::Recurrence r;
  if (text.empty() || text == "one_time") return r;
  if (text == "yearly") {
    r.kind = subsidy::Recurrence::Kind::yearly;
    return r;
  }
  const std::string sep = " years from ";
  const auto at = text.find(sep);
  if (at == std::string::npos) throw py::value_error("unknown recurrence '" + text + "'");
  r.kind = subsidy::Recurrence::Kind::years_from;
  r.years = std::stoi(text.substr(0, at));
  r.from = text.substr(at + sep.size());
  return r;
}

// --- fields, in the order of each class's constructor ----------------------------------------

py::object text_object(const Text& t) { return make_result(t); }
py::object citation_object(const Citation& c) { return make_result(c); }
py::object step_object(const TraceStep& s) { return make_result(s); }
py::tuple trace_tuple(const std::vector<TraceStep>& steps) { return tuple_of(steps, step_object); }

py::tuple text_fields(const Text& t) { return py::make_tuple(t.zh, t.en); }
py::tuple citation_fields(const Citation& c) {
  return py::make_tuple(c.document, c.clause, tuple_of(c.lines, [](int n) { return py::int_(n); }),
                        c.text);
}
py::tuple step_fields(const TraceStep& s) { return py::make_tuple(s.kind, s.detail); }
py::tuple band_fields(const Band& b) {
  return py::make_tuple(decimal_to_python(b.min), decimal_to_python(b.max));
}
py::tuple total_fields(const Total& t) {
  return py::make_tuple(make_result(t.cash), make_result(t.in_kind), t.unfixed, t.recognised,
                        t.lines, t.unevaluated);
}
py::dict total_map(const std::map<std::string, Total>& totals) {
  py::dict out;
  for (const auto& [key, total] : totals) out[py::str(key)] = make_result(total);
  return out;
}
py::tuple totals_fields(const Totals& t) {
  return py::make_tuple(make_result(t.all), total_map(t.by_payer), total_map(t.by_policy_set));
}

py::object line_amount(const AwardLine& l) {
  return has_amount(l.status) ? decimal_to_python(l.amount) : py::object(py::none());
}
py::object line_band(const AwardLine& l) {
  return has_band(l.status) ? make_result(l.band) : py::object(py::none());
}
py::tuple line_fields(const AwardLine& l) {
  const RuleInfo& info = info_of(l.info);
  return py::make_tuple(l.policy_set, l.rule, text_object(info.title), info.payer,
                        l.info ? subsidy::to_string(info.form) : "",
                        l.info ? subsidy::to_string(info.kind) : "", subsidy::to_string(l.status),
                        line_amount(l), line_band(l), citation_object(info.citation), l.tier,
                        l.unfixed_text, l.items, l.withheld, l.note, info.recurrence.to_string(),
                        text_object(info.in_kind), trace_tuple(l.trace), info.payer_inferred);
}
py::object finding_citation(const Finding& f) {
  return f.citation ? citation_object(*f.citation) : py::object(py::none());
}
py::tuple finding_fields(const Finding& f) {
  return py::make_tuple(f.policy_set, f.check, f.passed, f.message, f.detail, finding_citation(f));
}
py::tuple passed_fields(const PassedOver& p) {
  return py::make_tuple(p.policy_set, p.rule, citation_object(info_of(p.info).citation),
                        trace_tuple(p.trace), p.reason);
}
py::tuple unevaluated_fields(const Unevaluated& u) {
  return py::make_tuple(u.policy_set, u.id, u.kind,
                        tuple_of(u.missing, [](const std::string& m) { return py::str(m); }),
                        u.message, text_object(info_of(u.info).title));
}

/// A rule's description for a result built from Python (unpickled): what its fields give.
std::shared_ptr<RuleInfo> rule_info(const std::string& policy_set, const std::string& id) {
  auto info = std::make_shared<RuleInfo>();
  info->policy_set = policy_set;
  info->id = id;
  info->qualified_id = policy_set + "/" + id;
  return info;
}

/// The frozen-dataclass protocol: __eq__ and __hash__ by fields, __reduce__ to the constructor,
/// a repr naming the fields, _fields and _asdict (the JSON encoder of `subsidy serve`).
template <class T>
void result_protocol(py::class_<T>& cls, std::vector<std::string> names,
                     py::tuple (*fields)(const T&)) {
  py::tuple field_names(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) field_names[i] = py::str(names[i]);
  cls.attr("_fields") = field_names;
  cls.def(
         "__eq__",
         [fields](py::handle self, py::handle other) -> py::object {
           if (Py_TYPE(self.ptr()) != Py_TYPE(other.ptr()))
             return py::reinterpret_borrow<py::object>(Py_NotImplemented);
           return py::bool_(fields(self.cast<const T&>()).equal(fields(other.cast<const T&>())));
         },
         py::is_operator())
      .def("__hash__", [fields](const T& self) { return py::hash(fields(self)); })
      .def("__reduce__",
           [fields](py::handle self) {
             return py::make_tuple(py::type::handle_of(self), fields(self.cast<const T&>()));
           })
      .def("__repr__",
           [fields, names](py::handle self) {
             const py::tuple values = fields(self.cast<const T&>());
             std::string out =
                 py::type::handle_of(self).attr("__qualname__").cast<std::string>() + "(";
             for (std::size_t i = 0; i < names.size(); ++i) {
               out += (i ? ", " : "") + names[i] + "=" + py::repr(values[i]).cast<std::string>();
             }
             return out + ")";
           })
      .def("_asdict", [fields, names](const T& self) {
        const py::tuple values = fields(self);
        py::dict out;
        for (std::size_t i = 0; i < names.size(); ++i) out[py::str(names[i])] = values[i];
        return out;
      });
}

void register_values(py::module_& m) {
  py::class_<Text> text(m, "Text", "A text in Chinese with its English rendering.");
  text.def(py::init([](std::string zh, std::string en) {
             return Text{std::move(zh), std::move(en)};
           }),
           py::arg("zh"), py::arg("en"))
      .def_property_readonly("zh", [](const Text& t) { return t.zh; })
      .def_property_readonly("en", [](const Text& t) { return t.en; });
  result_protocol(text, {"zh", "en"}, text_fields);

  py::class_<Citation> citation(m, "Citation", "Document, clause and the verbatim sentence.");
  citation
      .def(py::init([](std::string document, std::string clause, std::vector<int> lines,
                       std::string text_) {
             return Citation{std::move(document), std::move(clause), std::move(lines),
                             std::move(text_)};
           }),
           py::arg("document"), py::arg("clause"), py::arg("lines"), py::arg("text"))
      .def_property_readonly("document", [](const Citation& c) { return c.document; })
      .def_property_readonly("clause", [](const Citation& c) { return c.clause; })
      .def_property_readonly(
          "lines",
          [](const Citation& c) { return tuple_of(c.lines, [](int n) { return py::int_(n); }); })
      .def_property_readonly("text", [](const Citation& c) { return c.text; });
  result_protocol(citation, {"document", "clause", "lines", "text"}, citation_fields);

  py::class_<TraceStep> step(m, "TraceStep", "One explanation step.");
  step.def(py::init([](std::string kind, std::string detail) {
             return TraceStep{std::move(kind), std::move(detail)};
           }),
           py::arg("kind"), py::arg("detail"))
      .def_property_readonly("kind", [](const TraceStep& s) { return s.kind; })
      .def_property_readonly("detail", [](const TraceStep& s) { return s.detail; });
  result_protocol(step, {"kind", "detail"}, step_fields);

  py::class_<Band> band(m, "Band", "A range of money, both ends exact.");
  band.def(py::init([](subsidy::Decimal min, subsidy::Decimal max) {
             return Band{std::move(min), std::move(max)};
           }),
           py::arg("min"), py::arg("max"))
      .def_property_readonly("min", [](const Band& b) { return decimal_to_python(b.min); })
      .def_property_readonly("max", [](const Band& b) { return decimal_to_python(b.max); });
  result_protocol(band, {"min", "max"}, band_fields);

  py::class_<Total> total(m, "Total", "Floor and ceiling of a total, and what is undetermined.");
  total
      .def(py::init([](const Band& cash, const Band& in_kind, std::int64_t unfixed,
                       std::int64_t recognised, std::int64_t lines, std::int64_t unevaluated) {
             Total t;
             t.cash = cash;
             t.in_kind = in_kind;
             t.unfixed = unfixed;
             t.recognised = recognised;
             t.lines = lines;
             t.unevaluated = unevaluated;
             return t;
           }),
           py::arg("cash"), py::arg("in_kind"), py::arg("unfixed") = 0, py::arg("recognised") = 0,
           py::arg("lines") = 0, py::arg("unevaluated") = 0)
      .def_property_readonly("cash", [](const Total& t) { return make_result(t.cash); })
      .def_property_readonly("in_kind", [](const Total& t) { return make_result(t.in_kind); })
      .def_property_readonly("unfixed", [](const Total& t) { return t.unfixed; })
      .def_property_readonly("recognised", [](const Total& t) { return t.recognised; })
      .def_property_readonly("lines", [](const Total& t) { return t.lines; })
      .def_property_readonly("unevaluated", [](const Total& t) { return t.unevaluated; })
      .def_property_readonly("complete", &Total::complete);
  result_protocol(total, {"cash", "in_kind", "unfixed", "recognised", "lines", "unevaluated"},
                  total_fields);

  py::class_<Totals> totals(m, "Totals", "Totals overall, by payer and by policy set.");
  totals
      .def(py::init([](const Total& all, const std::map<std::string, Total>& by_payer,
                       const std::map<std::string, Total>& by_policy_set) {
             return Totals{by_payer, by_policy_set, all};
           }),
           py::arg("all"), py::arg("by_payer"), py::arg("by_policy_set"))
      .def_property_readonly("all", [](const Totals& t) { return make_result(t.all); })
      .def_property_readonly("by_payer", [](const Totals& t) { return total_map(t.by_payer); })
      .def_property_readonly("by_policy_set",
                             [](const Totals& t) { return total_map(t.by_policy_set); });
  result_protocol(totals, {"all", "by_payer", "by_policy_set"}, totals_fields);
}

void register_lines(py::module_& m) {
  py::class_<AwardLine> line(m, "AwardLine", "One award line, with its rule's citation.");
  line.def(py::init([](std::string policy_set, std::string rule, const Text& title,
                       std::string payer, const std::string& form, const std::string& kind,
                       const std::string& status, std::optional<subsidy::Decimal> amount,
                       std::optional<Band> band, const Citation& citation, std::string tier,
                       std::string unfixed_text, std::int64_t items, bool withheld,
                       std::string note, const std::string& recurrence, const Text& in_kind,
                       std::vector<TraceStep> trace, bool payer_inferred) {
             auto info = rule_info(policy_set, rule);
             info->title = title;
             info->payer = std::move(payer);
             info->payer_inferred = payer_inferred;
             info->form = enum_from(form,
                                    {subsidy::AwardForm::cash, subsidy::AwardForm::in_kind,
                                     subsidy::AwardForm::preference, subsidy::AwardForm::honour},
                                    "award form");
             using subsidy::AmountKind;
             info->kind = enum_from(kind,
                                    {AmountKind::fixed, AmountKind::band, AmountKind::rate_of_base,
                                     AmountKind::formula, AmountKind::per_item, AmountKind::tiers,
                                     AmountKind::unfixed, AmountKind::honour},
                                    "amount kind");
             info->citation = citation;
             info->recurrence = recurrence_from(recurrence);
             info->in_kind = in_kind;
             AwardLine l;
             l.policy_set = std::move(policy_set);
             l.rule = std::move(rule);
             l.info = std::move(info);
             l.status = status_from(status);
             if (amount) l.amount = *amount;
             if (band)
               l.band = *band;
             else if (amount)
               l.band = {*amount, *amount};
             l.tier = std::move(tier);
             l.unfixed_text = std::move(unfixed_text);
             l.items = items;
             l.withheld = withheld;
             l.note = std::move(note);
             l.trace = std::move(trace);
             return l;
           }),
           py::arg("policy_set"), py::arg("rule"), py::arg("title"), py::arg("payer"),
           py::arg("form"), py::arg("kind"), py::arg("status"), py::arg("amount"), py::arg("band"),
           py::arg("citation"), py::arg("tier") = "", py::arg("unfixed_text") = "",
           py::arg("items") = 0, py::arg("withheld") = false, py::arg("note") = "",
           py::arg("recurrence") = "", py::arg("in_kind") = Text{},
           py::arg("trace") = std::vector<TraceStep>{}, py::arg("payer_inferred") = false)
      .def_property_readonly("policy_set", [](const AwardLine& l) { return l.policy_set; })
      .def_property_readonly("rule", [](const AwardLine& l) { return l.rule; })
      .def_property_readonly("qualified_rule", &AwardLine::qualified_rule)
      .def_property_readonly("title",
                             [](const AwardLine& l) { return text_object(info_of(l.info).title); })
      .def_property_readonly("payer", [](const AwardLine& l) { return info_of(l.info).payer; })
      .def_property_readonly("payer_inferred",
                             [](const AwardLine& l) { return info_of(l.info).payer_inferred; })
      .def_property_readonly(
          "form", [](const AwardLine& l) { return l.info ? subsidy::to_string(l.info->form) : ""; })
      .def_property_readonly(
          "kind", [](const AwardLine& l) { return l.info ? subsidy::to_string(l.info->kind) : ""; })
      .def_property_readonly("status",
                             [](const AwardLine& l) { return subsidy::to_string(l.status); })
      .def_property_readonly("amount", &line_amount)
      .def_property_readonly("band", &line_band)
      .def_property_readonly(
          "citation", [](const AwardLine& l) { return citation_object(info_of(l.info).citation); })
      .def_property_readonly("tier", [](const AwardLine& l) { return l.tier; })
      .def_property_readonly("unfixed_text", [](const AwardLine& l) { return l.unfixed_text; })
      .def_property_readonly("items", [](const AwardLine& l) { return l.items; })
      .def_property_readonly("withheld", [](const AwardLine& l) { return l.withheld; })
      .def_property_readonly("note", [](const AwardLine& l) { return l.note; })
      .def_property_readonly(
          "recurrence", [](const AwardLine& l) { return info_of(l.info).recurrence.to_string(); })
      .def_property_readonly(
          "in_kind", [](const AwardLine& l) { return text_object(info_of(l.info).in_kind); })
      .def_property_readonly("trace", [](const AwardLine& l) { return trace_tuple(l.trace); });
  result_protocol(line,
                  {"policy_set", "rule", "title", "payer", "form", "kind", "status", "amount",
                   "band", "citation", "tier", "unfixed_text", "items", "withheld", "note",
                   "recurrence", "in_kind", "trace", "payer_inferred"},
                  line_fields);

  py::class_<Finding> finding(m, "Finding", "The outcome of a validity check.");
  finding
      .def(py::init([](std::string policy_set, std::string check, bool passed, std::string message,
                       std::string detail, std::optional<Citation> citation) {
             Finding f;
             f.policy_set = std::move(policy_set);
             f.check = std::move(check);
             f.passed = passed;
             f.message = std::move(message);
             f.detail = std::move(detail);
             if (citation) f.citation = std::make_shared<const Citation>(std::move(*citation));
             return f;
           }),
           py::arg("policy_set"), py::arg("check"), py::arg("passed"), py::arg("message"),
           py::arg("detail"), py::arg("citation"))
      .def_property_readonly("policy_set", [](const Finding& f) { return f.policy_set; })
      .def_property_readonly("check", [](const Finding& f) { return f.check; })
      .def_property_readonly("passed", [](const Finding& f) { return f.passed; })
      .def_property_readonly("message", [](const Finding& f) { return f.message; })
      .def_property_readonly("detail", [](const Finding& f) { return f.detail; })
      .def_property_readonly("citation", &finding_citation);
  result_protocol(finding, {"policy_set", "check", "passed", "message", "detail", "citation"},
                  finding_fields);

  py::class_<PassedOver> passed(m, "PassedOver", "A rule that gave no line, and why.");
  passed
      .def(py::init([](std::string policy_set, std::string rule, const Citation& citation,
                       std::vector<TraceStep> trace, std::string reason) {
             auto info = rule_info(policy_set, rule);
             info->citation = citation;
             return PassedOver{std::move(policy_set), std::move(rule), std::move(info),
                               std::move(trace), std::move(reason)};
           }),
           py::arg("policy_set"), py::arg("rule"), py::arg("citation"), py::arg("trace"),
           py::arg("reason") = "condition")
      .def_property_readonly("policy_set", [](const PassedOver& p) { return p.policy_set; })
      .def_property_readonly("rule", [](const PassedOver& p) { return p.rule; })
      .def_property_readonly("qualified_rule", &PassedOver::qualified_rule)
      .def_property_readonly(
          "citation", [](const PassedOver& p) { return citation_object(info_of(p.info).citation); })
      .def_property_readonly("trace", [](const PassedOver& p) { return trace_tuple(p.trace); })
      .def_property_readonly("reason", [](const PassedOver& p) { return p.reason; });
  result_protocol(passed, {"policy_set", "rule", "citation", "trace", "reason"}, passed_fields);

  py::class_<Unevaluated> unevaluated(m, "Unevaluated", "A rule, check or cap missing facts.");
  unevaluated
      .def(py::init([](std::string policy_set, std::string id, std::string kind,
                       std::vector<std::string> missing, std::string message, const Text& title) {
             Unevaluated u;
             if (!title.zh.empty() || !title.en.empty()) {
               auto info = rule_info(policy_set, id);
               info->title = title;
               u.info = std::move(info);
             }
             u.policy_set = std::move(policy_set);
             u.id = std::move(id);
             u.kind = std::move(kind);
             u.missing = std::move(missing);
             u.message = std::move(message);
             return u;
           }),
           py::arg("policy_set"), py::arg("id"), py::arg("kind"), py::arg("missing"),
           py::arg("message"), py::arg("title"))
      .def_property_readonly("policy_set", [](const Unevaluated& u) { return u.policy_set; })
      .def_property_readonly("id", [](const Unevaluated& u) { return u.id; })
      .def_property_readonly("qualified_id", &Unevaluated::qualified_id)
      .def_property_readonly("kind", [](const Unevaluated& u) { return u.kind; })
      .def_property_readonly("missing",
                             [](const Unevaluated& u) {
                               return tuple_of(u.missing,
                                               [](const std::string& s) { return py::str(s); });
                             })
      .def_property_readonly("message", [](const Unevaluated& u) { return u.message; })
      .def_property_readonly(
          "title", [](const Unevaluated& u) { return text_object(info_of(u.info).title); });
  result_protocol(unevaluated, {"policy_set", "id", "kind", "missing", "message", "title"},
                  unevaluated_fields);
}

void register_evaluation(py::module_& m) {
  py::class_<Evaluation>(m, "Evaluation",
                         "One evaluation's result; it keeps the rules it cites alive.")
      .def_property_readonly("enterprise", [](const Evaluation& e) { return e.enterprise; })
      .def_property_readonly("name", [](const Evaluation& e) { return e.name; })
      .def_property_readonly("year", [](const Evaluation& e) { return e.year; })
      .def_property_readonly("policy_sets",
                             [](const Evaluation& e) {
                               return tuple_of(e.policy_sets,
                                               [](const std::string& s) { return py::str(s); });
                             })
      .def_property_readonly("lines",
                             [](const Evaluation& e) {
                               return tuple_of(e.lines,
                                               [](const AwardLine& l) { return make_result(l); });
                             })
      .def_property_readonly("totals", [](const Evaluation& e) { return make_result(e.totals); })
      .def_property_readonly("findings",
                             [](const Evaluation& e) {
                               return tuple_of(e.findings,
                                               [](const Finding& f) { return make_result(f); });
                             })
      .def_property_readonly("passed_over",
                             [](const Evaluation& e) {
                               return tuple_of(e.passed_over,
                                               [](const PassedOver& p) { return make_result(p); });
                             })
      .def_property_readonly("unevaluated",
                             [](const Evaluation& e) {
                               return tuple_of(e.unevaluated,
                                               [](const Unevaluated& u) { return make_result(u); });
                             })
      .def_property_readonly("error",
                             [](const Evaluation& e) {
                               return e.error ? error_to_python(*e.error) : py::object(py::none());
                             })
      .def_property_readonly("ok", &Evaluation::ok)
      .def_property_readonly("receipt", [](const Evaluation& e) { return e.receipt; })
      .def(
          "to_json",
          [](const Evaluation& e, bool with_trace) {
            py::gil_scoped_release release;  // a traced evaluation writes a long text
            return subsidy::to_json(e, with_trace);
          },
          py::arg("with_trace") = false,
          "Canonical JSON (decimals as strings): the bytes the receipt vouches for.");
}

}  // namespace

template py::object make_result<Total>(Total);

void register_results(py::module_& m) {
  register_values(m);
  register_lines(m);
  register_evaluation(m);
  m.def(
      "register_result_classes",
      [](const py::dict& classes) {
        const std::map<std::string, std::pair<std::type_index, py::handle>> bound = {
            {"Text", {typeid(Text), py::type::of<Text>()}},
            {"Citation", {typeid(Citation), py::type::of<Citation>()}},
            {"TraceStep", {typeid(TraceStep), py::type::of<TraceStep>()}},
            {"Band", {typeid(Band), py::type::of<Band>()}},
            {"Total", {typeid(Total), py::type::of<Total>()}},
            {"Totals", {typeid(Totals), py::type::of<Totals>()}},
            {"AwardLine", {typeid(AwardLine), py::type::of<AwardLine>()}},
            {"Finding", {typeid(Finding), py::type::of<Finding>()}},
            {"PassedOver", {typeid(PassedOver), py::type::of<PassedOver>()}},
            {"Unevaluated", {typeid(Unevaluated), py::type::of<Unevaluated>()}},
        };
        for (const auto& [name, cls] : classes) {
          const auto it = bound.find(name.cast<std::string>());
          if (it == bound.end())
            throw py::key_error("no bound result class " + name.cast<std::string>());
          if (!PyType_Check(cls.ptr()) ||
              !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls.ptr()),
                                reinterpret_cast<PyTypeObject*>(it->second.second.ptr()))) {
            throw py::type_error(name.cast<std::string>() + ": not a subclass of the bound class");
          }
          cls.inc_ref();  // kept for the life of the process
          subclasses()[it->second.first] = reinterpret_cast<PyTypeObject*>(cls.ptr());
        }
      },
      py::arg("classes"),
      "Registers the package's subclasses: results are made as their instances from then on.");
}

}  // namespace subsidy_py
