// Reading structured text (YAML, JSON, CSV) into RawValue trees with source marks.
// This is the only place that includes yaml-cpp, so the rest of the engine never sees it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "subsidy/facts.hpp"

namespace subsidy::detail {

/// Documented input limits (hardening): exceeded limits are Error(limit), never a crash.
struct Limits {
  static constexpr std::size_t max_file_bytes = 64u * 1024u * 1024u;
  static constexpr std::size_t max_nodes = 2'000'000;      ///< after alias expansion
  static constexpr std::size_t max_alias_nodes = 100'000;  ///< values copied by expanding aliases
  static constexpr std::size_t max_items =
      1'000'000;  ///< items of one list, keys of one map, CSV rows
  static constexpr std::size_t max_csv_columns = 1'000;
  static constexpr std::size_t max_depth = 64;
  static constexpr std::size_t max_scalar_bytes = 1'000'000;
  static constexpr std::size_t max_expression_depth = 64;
  static constexpr std::size_t max_expression_bytes = 10'000;
  /// Enterprise records in one population (a file, or the files of one command together): each
  /// holds a slot for every fact the rules declare (96 bytes) and its evaluation (docs/limits.md).
  static constexpr std::size_t max_records = 100'000;
  static constexpr std::size_t max_record_slots = 3'300'000;  ///< records × declared facts
  static constexpr std::size_t max_grants = 25'000;           ///< rows of one grant ledger
};

/// Reads a whole file; throws Error(io) / Error(limit).
std::string read_file(const std::string& path);

/// Checks that `text` is valid UTF-8 without a byte-order mark problem; throws Error(parse) with
/// the line and column of the first bad byte. A leading UTF-8 BOM is accepted and skipped.
std::string_view check_utf8(const std::string& name, const std::string& text);

/// Parses YAML (or JSON) into a RawValue tree. Duplicate keys, non-scalar keys, exceeded limits
/// (docs/limits.md), aliases inside the node they name and a quoted string still open at the end
/// of the file are errors with file, line and column. An empty document is an error, and so are
/// a second document (`---`), a YAML tag, and (for a name ending in .json) anything that is not
/// strict JSON: comments, trailing commas.
RawValue parse_yaml(const std::string& name, const std::string& text);

/// True for a name ending in .json (any case): such text must be strict JSON.
bool named_json(const std::string& name);

/// Checks strict JSON syntax (RFC 8259); throws Error(parse) at the first character that is not.
void check_strict_json(const std::string& name, const std::string& text);

/// Parses CSV (RFC 4180: quoted fields, doubled quotes) into a list of maps keyed by the header.
/// Marks carry the row (line) and the field name. Rows with a missing or extra column are errors.
RawValue parse_csv(const std::string& name, const std::string& text);
/// The same, record by record: `take` gets each row's map as soon as the row ends, so a large
/// file is never held as one tree. The errors of parse_csv, at the same places.
void for_each_csv_record(const std::string& name, const std::string& text,
                         const std::function<void(RawValue&&)>& take);

/// Refuses an enterprise id with spaces around it or an invisible character in it (a zero-width
/// space, a no-break space, a control character): "A1" and "A1\u200b" print alike and would count
/// as two enterprises. Throws Error(kind) at `mark`.
void check_id(const std::string& id, ErrorKind kind, const Mark& mark);

/// Refuses a population of `records` records or more when each record has `facts` slots (the
/// facts the rules declare): Limits::max_records, Limits::max_record_slots. Error(limit) at
/// `mark`, the record that would cross the limit.
void within_population_limit(std::size_t facts, std::size_t records, const Mark& mark);

/// "a map", "a list", "text \"x\"", "nothing" — for "expected …, found …" messages.
std::string describe(const RawValue& value);

/// Looks up a key in a map RawValue; nullptr if absent.
const RawValue* find(const RawValue& map, const std::string& key);

}  // namespace subsidy::detail
