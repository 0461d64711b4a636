// The fact slots each rule, check and cap reads (through derived values too), for the data
// dictionary and for naming what a record lacks when a rule cannot be evaluated.
#pragma once

#include <string>
#include <vector>

#include "compiled.hpp"

namespace subsidy::detail {

/// Fact slots (kYearSlot for the record's year) read by a rule, its set's applies_to included.
std::vector<std::size_t> rule_needs(const CompiledRules& r, std::size_t crule);
std::vector<std::size_t> check_needs(const CompiledRules& r, std::size_t check);
std::vector<std::size_t> cap_needs(const CompiledRules& r, std::size_t cap);
std::string fact_name(const CompiledRules& r, std::size_t slot);

}  // namespace subsidy::detail
