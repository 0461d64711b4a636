// subsidy._core: the private extension module. The public Python API is the `subsidy` package,
// which subclasses the bound result types and wraps the rest in dataclasses and DataFrames.
#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "Private bindings of the subsidy C++ library; use the `subsidy` package instead.";
  subsidy_py::register_errors(m);
  subsidy_py::register_decimal(m);
  subsidy_py::register_rules(m);
  subsidy_py::register_results(m);
  subsidy_py::register_evaluate(m);
  subsidy_py::register_columnar(m);
  subsidy_py::register_audit(m);
  m.def(
      "engine_version", [] { return std::string(subsidy::engine_version()); },
      "The engine version that goes into receipts.");
  m.attr("__version__") = SUBSIDY_PY_MODULE_VERSION;
}
