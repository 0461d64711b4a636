// Reading a grant ledger exactly: CSV row by row, YAML/JSON, or rows a spreadsheet reader split,
// each grant typed with its row's mark; amounts read as exact decimals, never as floats.
#include <algorithm>

#include "document.hpp"
#include "subsidy/audit.hpp"

namespace subsidy {

namespace {

// An empty CSV cell reads as an absent key, so a missing value and a missing column are one case.
const RawValue& cell(const RawValue& record, const char* column, const Mark& row) {
  const RawValue* value = detail::find(record, column);
  if (value == nullptr || value->kind == RawValue::Kind::null || value->text.empty()) {
    Mark m = value == nullptr ? row : value->mark;
    m.field = column;
    throw Error::expected(ErrorKind::audit, std::string("a value in column \"") + column + "\"",
                          "none", m, "ledger row");
  }
  if (value->kind != RawValue::Kind::text) {
    throw Error::expected(ErrorKind::audit, std::string("a value in column \"") + column + "\"",
                          detail::describe(*value), value->mark);
  }
  return *value;
}

std::string required_text(const RawValue& record, const char* column, const Mark& row) {
  return cell(record, column, row).text;
}

std::string optional_text(const RawValue& record, const char* column) {
  const RawValue* value = detail::find(record, column);
  return value == nullptr || value->kind != RawValue::Kind::text ? std::string() : value->text;
}

std::int64_t parse_year(const RawValue& value) {
  const std::string& t = value.text;
  const bool digits = !t.empty() && t.size() <= 4 &&
                      std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    throw Error::expected(ErrorKind::audit, "a year such as 2010", "\"" + t + "\"", value.mark);
  return std::stoll(t);
}

Decimal parse_granted(const RawValue& value) {
  const std::string& t = value.text;
  if (t.find_first_of("eE") != std::string::npos) {
    throw Error::expected(
        ErrorKind::audit,
        "an exact amount such as 123000000.00 (a spreadsheet's scientific format loses "
        "digits: format the column as text or as a number with 2 decimals)",
        "\"" + t + "\"", value.mark);
  }
  Amount amount;
  try {
    amount = Decimal::parse_amount(t);
  } catch (Error& e) {
    throw e.locate(value.mark);
  }
  if (amount.unit == AmountUnit::rate) {
    throw Error::expected(ErrorKind::audit, "an amount in 元", "a rate \"" + t + "\"", value.mark);
  }
  if (amount.value.is_negative()) {
    throw Error::expected(ErrorKind::audit, "an amount of 0 or more (a refund is its own ledger)",
                          "\"" + t + "\"", value.mark);
  }
  return amount.value;
}

Grant grant_from(const RawValue& record) {
  if (record.kind != RawValue::Kind::map) {
    throw Error::expected(ErrorKind::audit, "a ledger row (a map of columns)",
                          detail::describe(record), record.mark);
  }
  Mark row = record.mark;
  row.field.clear();
  row.column = 0;
  Grant g;
  g.mark = row;
  g.enterprise = required_text(record, "enterprise", row);
  detail::check_id(g.enterprise, ErrorKind::audit, cell(record, "enterprise", row).mark);
  g.policy_set = required_text(record, "policy_set", row);
  g.rule = required_text(record, "rule", row);
  g.year = parse_year(cell(record, "year", row));
  g.amount = parse_granted(cell(record, "amount", row));
  g.payer = required_text(record, "payer", row);
  g.approval = optional_text(record, "approval");
  g.basis = optional_text(record, "basis");
  return g;
}

}  // namespace

namespace {

// A grant costs its row and, in the report, a finding: bounded so that an audit fits in 1 GiB.
void within_ledger_limit(std::size_t grants, const Mark& mark) {
  if (grants < detail::Limits::max_grants) return;
  throw Error::expected(
      ErrorKind::limit,
      "a ledger of at most " + std::to_string(detail::Limits::max_grants) + " grants", "more",
      mark);
}

}  // namespace

std::vector<Grant> ledger_from_records(const RawValue& records) {
  const RawValue* list = &records;
  if (records.kind == RawValue::Kind::map) {
    list = detail::find(records, "grants");
    if (list == nullptr) {
      throw Error::expected(ErrorKind::audit, "a \"grants:\" list", "a map without it",
                            records.mark);
    }
  }
  if (list->kind != RawValue::Kind::list) {
    throw Error::expected(ErrorKind::audit, "a list of grants", detail::describe(*list),
                          list->mark);
  }
  std::vector<Grant> ledger;
  ledger.reserve(std::min(list->items.size(), detail::Limits::max_grants));
  for (const RawValue& record : list->items) {
    within_ledger_limit(ledger.size(), record.mark);
    ledger.push_back(grant_from(record));
  }
  return ledger;
}

std::vector<Grant> parse_ledger(const std::string& name, const std::string& text) {
  const auto dot = name.rfind('.');
  std::string ext = dot == std::string::npos ? std::string() : name.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  if (ext == ".csv") {  // row by row as the rows are read: never the whole file as a tree
    std::vector<Grant> ledger;
    detail::for_each_csv_record(name, text, [&](RawValue&& record) {
      within_ledger_limit(ledger.size(), record.mark);
      ledger.push_back(grant_from(record));
    });
    return ledger;
  }
  return ledger_from_records(detail::parse_yaml(name, text));
}

std::vector<Grant> load_ledger(const std::string& path) {
  return parse_ledger(path, detail::read_file(path));
}

}  // namespace subsidy
