// subsidy::Error -> subsidy.SubsidyError, with the error's kind and place as attributes.
#include "bindings.hpp"

namespace subsidy_py {

namespace {

PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> error_type_storage;

constexpr const char* kErrorDoc =
    "An error of the subsidy library: a rule file, an enterprise record, a value or a call that\n"
    "the engine refused. str(error) reads 'file:line:column: error[kind]: message'.\n\n"
    "Attributes: kind (parse, yaml, schema, unit, name, ...), file, line, column, field (None\n"
    "where unknown), message (without the location), location ('file:line:column'), and errors:\n"
    "the individual errors when one check found several (else an empty list).";

py::object optional_text(const std::string& text) {
  return text.empty() ? py::object(py::none()) : py::object(py::str(text));
}

py::object optional_int(int value) {
  return value > 0 ? py::object(py::int_(value)) : py::object(py::none());
}

}  // namespace

py::object error_type() { return error_type_storage.get_stored(); }

py::object error_to_python(const subsidy::Error& error) {
  py::object exc = error_type()(py::str(error.what()));
  const subsidy::Mark& mark = error.mark();
  exc.attr("kind") = py::str(subsidy::to_string(error.kind()));
  exc.attr("message") = py::str(error.message());
  exc.attr("file") = optional_text(mark.file);
  exc.attr("line") = optional_int(mark.line);
  exc.attr("column") = optional_int(mark.column);
  exc.attr("field") = optional_text(mark.field);
  exc.attr("location") = py::str(mark.to_string());
  py::list errors;
  if (const auto* list = dynamic_cast<const subsidy::ErrorList*>(&error)) {
    for (const subsidy::Error& sub : list->errors()) errors.append(error_to_python(sub));
  }
  exc.attr("errors") = errors;
  return exc;
}

void register_errors(py::module_& m) {
  error_type_storage.call_once_and_store_result([] {
    PyObject* type = PyErr_NewExceptionWithDoc("subsidy._core.SubsidyError", kErrorDoc,
                                               PyExc_Exception, nullptr);
    if (type == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(type);
  });
  m.attr("SubsidyError") = error_type();

  py::register_exception_translator([](std::exception_ptr pending) {
    try {
      if (pending) std::rethrow_exception(pending);
    } catch (const subsidy::Error& error) {
      py::object exc = error_to_python(error);
      PyErr_SetObject(error_type().ptr(), exc.ptr());
    }
  });
}

}  // namespace subsidy_py
