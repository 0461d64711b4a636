// Arrow columns read into a subsidy::FactTable through the Arrow C Data Interface (the two C
// structs below are its stable ABI; libarrow is not linked): the import pass of the columnar
// path. arrow_import.cpp reads them; register_columnar.cpp binds it with the program and results.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bindings.hpp"

extern "C" {
// https://arrow.apache.org/docs/format/CDataInterface.html
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
}

namespace subsidy_py {

/// Builds the fact table from [(name, schema capsule, array capsule)] of one length, `rows`
/// (GIL released while reading the buffers). Accepted column types: decimal128 (any scale),
/// int8-64 / uint8-32 (whole numbers), bool, utf8 / large_utf8 and dictionary<int, utf8>
/// (enumerations and text), date32, and list / large_list of struct for list facts.
/// Floating-point columns are refused: they are already inexact.
subsidy::FactTable table_from_arrow(const subsidy::RuleSet& rules, const py::list& columns,
                                    std::size_t rows);

}  // namespace subsidy_py
