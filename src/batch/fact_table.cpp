// The fact table: columns of scaled int64 values the batch program reads (columnar.hpp).
#include "program.hpp"

namespace subsidy {

// ---- FactTable
// -------------------------------------------------------------------------------------

std::int32_t column_exponent(const Unit& unit) {
  switch (unit.kind) {
    case UnitKind::money:
      return -2;
    case UnitKind::count:
    case UnitKind::year:
      return 0;
    default:
      return -6;
  }
}

namespace {

FactColumn make_column(const FactDecl& decl, std::size_t rows) {
  FactColumn c;
  c.kind = decl.unit.kind;
  c.exponent = column_exponent(decl.unit);
  c.values.assign(rows, 0);
  c.present.assign(rows, 0);
  return c;
}

// Stores one scalar as a column value; false when it does not fit (the row goes exact).
bool store(FactColumn& c, const FactDecl& decl, const Scalar& s, std::int64_t& out) {
  if (const auto* d = std::get_if<Decimal>(&s)) return d->to_scaled_int64(c.exponent, out);
  if (const auto* b = std::get_if<bool>(&s)) {
    out = *b ? 1 : 0;
    return true;
  }
  if (const auto* date = std::get_if<Date>(&s)) {
    out = date_code(*date);
    return true;
  }
  const auto& text = std::get<std::string>(s);
  if (decl.unit.kind == UnitKind::enumeration) {
    auto it = std::find(decl.values.begin(), decl.values.end(), text);
    if (it == decl.values.end()) return false;
    out = it - decl.values.begin();
    return true;
  }
  auto it = std::find(c.dictionary.begin(), c.dictionary.end(), text);
  out = it - c.dictionary.begin();
  if (it == c.dictionary.end()) c.dictionary.push_back(text);
  return true;
}

Scalar load(const FactColumn& c, const FactDecl& decl, std::int64_t v) {
  switch (c.kind) {
    case UnitKind::boolean:
      return v != 0;
    case UnitKind::date:
      return date_of(v);
    case UnitKind::enumeration:
      return decl.values.at(static_cast<std::size_t>(v));
    case UnitKind::text:
      return c.dictionary.at(static_cast<std::size_t>(v));
    default:
      return Decimal::from_scaled_int64(v, c.exponent);
  }
}

}  // namespace

bool batch::store_scalar(FactColumn& c, const FactDecl& decl, const Scalar& s, std::int64_t& out) {
  return store(c, decl, s, out);
}

FactTable::FactTable(const RuleSet& rules, std::size_t rows) : rules_(rules), rows_(rows) {
  // Columns start empty (every value absent) and take memory only when given.
  const auto& facts = rules.facts();
  scalars_.resize(facts.size());
  lists_.resize(facts.size());
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const FactDecl& decl = facts[k];
    if (decl.unit.kind == UnitKind::list) {
      for (const auto& f : decl.fields) lists_[k].fields.push_back(make_column(f, 0));
    } else {
      scalars_[k] = make_column(decl, 0);
    }
  }
  year_.kind = UnitKind::year;
}

namespace {

// Moves `values` into `into`, each narrowed to T (every value fits: the caller checked).
template <class T>
void pack(const std::vector<std::int64_t>& values, std::vector<T>& into) {
  into.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) into[i] = static_cast<T>(values[i]);
}

template <class T>
bool fits_in(std::int64_t lo, std::int64_t hi) {
  return lo >= std::numeric_limits<T>::min() && hi <= std::numeric_limits<T>::max();
}

bool all_set(const std::vector<std::uint8_t>& present) {
  return std::all_of(present.begin(), present.end(), [](std::uint8_t p) { return p != 0; });
}

}  // namespace

namespace {
template <class T>
void gather_from(const T* values, const std::uint32_t* sel, std::size_t n, std::int64_t* out) {
  for (std::size_t j = 0; j < n; ++j) out[j] = values[sel[j]];
}
}  // namespace

void FactColumn::gather(std::size_t base, const std::uint32_t* sel, std::size_t n,
                        std::int64_t* out) const {
  if (n == 0) return;
  if (!all_present(base + sel[n - 1] + 1)) {
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t row = base + sel[j];
      out[j] = has(row) ? at(row) : 0;
    }
    return;
  }
  switch (width_) {
    case 1:
      return gather_from(narrow8_.data() + base, sel, n, out);
    case 2:
      return gather_from(narrow16_.data() + base, sel, n, out);
    case 4:
      return gather_from(narrow32_.data() + base, sel, n, out);
    default:
      return gather_from(values.data() + base, sel, n, out);
  }
}

void FactColumn::seal() {
  if (sealed_) return;
  sealed_ = true;
  size_ = present.size();
  // Absent rows hold 0 (or whatever was written): the width covers them too, so at() of any
  // row returns exactly what was stored.
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  for (std::int64_t v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (fits_in<std::int8_t>(lo, hi)) {
    width_ = 1;
    pack(values, narrow8_);
  } else if (fits_in<std::int16_t>(lo, hi)) {
    width_ = 2;
    pack(values, narrow16_);
  } else if (fits_in<std::int32_t>(lo, hi)) {
    width_ = 4;
    pack(values, narrow32_);
  }
  if (width_ != 8) std::vector<std::int64_t>().swap(values);
  dense_ = size_ != 0 && all_set(present);
  if (dense_) std::vector<std::uint8_t>().swap(present);
}

void FactColumn::clear(std::size_t rows) {
  values.assign(rows, 0);
  present.assign(rows, 0);
  std::vector<std::int8_t>().swap(narrow8_);
  std::vector<std::int16_t>().swap(narrow16_);
  std::vector<std::int32_t>().swap(narrow32_);
  size_ = 0;
  width_ = 8;
  dense_ = false;
  sealed_ = false;
}

std::size_t FactColumn::bytes() const {
  return values.capacity() * 8 + present.capacity() + narrow8_.capacity() +
         narrow16_.capacity() * 2 + narrow32_.capacity() * 4;
}

void ListColumn::seal() {
  for (auto& f : fields) f.seal();
  if (sealed_) return;
  sealed_ = true;
  size_ = present.size();
  dense_ = size_ != 0 && all_set(present);
  if (dense_) std::vector<std::uint8_t>().swap(present);
}

void ListColumn::clear(std::size_t rows) {
  offsets.assign(rows + 1, 0);
  present.assign(rows, 0);
  for (auto& f : fields) f.clear(0);
  size_ = 0;
  dense_ = false;
  sealed_ = false;
}

std::size_t ListColumn::bytes() const {
  std::size_t b = offsets.capacity() * 4 + present.capacity();
  for (const auto& f : fields) b += f.bytes();
  return b;
}

FactColumn& FactTable::give(std::size_t slot) {
  FactColumn& c = scalars_.at(slot);
  if (rules_->facts()[slot].unit.kind == UnitKind::list) {
    throw Error(ErrorKind::usage, "fact '" + rules_->facts()[slot].name + "' is a list");
  }
  c.clear(rows_);
  return c;
}

ListColumn& FactTable::give_list(std::size_t slot) {
  ListColumn& l = lists_.at(slot);
  if (rules_->facts()[slot].unit.kind != UnitKind::list) {
    throw Error(ErrorKind::usage, "fact '" + rules_->facts()[slot].name + "' is not a list");
  }
  l.clear(rows_);
  return l;
}

FactColumn& FactTable::give_year() {
  year_.clear(rows_);
  return year_;
}

void FactTable::seal() {
  year_.seal();
  for (auto& c : scalars_) c.seal();
  for (auto& l : lists_) l.seal();
}

std::size_t FactTable::bytes() const {
  std::size_t b = year_.bytes();
  for (const auto& c : scalars_) b += c.bytes();
  for (const auto& l : lists_) b += l.bytes();
  return b;
}

FactTable FactTable::from_enterprises(const RuleSet& rules, const std::vector<Enterprise>& batch) {
  FactTable t(rules, batch.size());
  const auto& facts = rules.facts();
  t.give_year();
  for (std::size_t k = 0; k < facts.size(); ++k) {
    if (facts[k].unit.kind == UnitKind::list) {
      t.give_list(k);
    } else {
      t.give(k);
    }
  }
  for (const Enterprise& e : batch) {
    if ((!e.rules_fingerprint.empty() && e.rules_fingerprint != rules.fingerprint()) ||
        e.facts.size() != facts.size()) {
      throw Error(ErrorKind::usage, "enterprise '" + e.id + "' was typed against another rule set",
                  e.mark);
    }
  }
  for (std::size_t r = 0; r < batch.size(); ++r) {
    const Enterprise& e = batch[r];
    t.ids_.push_back(e.id);
    bool fits = e.decided.empty();
    if (e.year) {
      t.year_.values[r] = *e.year;
      t.year_.present[r] = 1;
    }
    for (std::size_t k = 0; k < facts.size(); ++k) {
      const FactDecl& decl = facts[k];
      const bool given = k < e.facts.size() && e.facts[k].has_value();
      if (decl.unit.kind == UnitKind::list) {
        ListColumn& l = t.lists_[k];
        if (given) {
          l.present[r] = 1;
          for (const auto& rec : std::get<std::vector<Record>>(*e.facts[k])) {
            for (std::size_t f = 0; f < l.fields.size(); ++f) {
              FactColumn& c = l.fields[f];
              std::int64_t v = 0;
              const bool has = f < rec.size() && rec[f].has_value();
              if (has && !store(c, decl.fields[f], *rec[f], v)) fits = false;
              c.values.push_back(v);
              c.present.push_back(has ? 1 : 0);
            }
          }
        }
        l.offsets[r + 1] =
            static_cast<std::uint32_t>(l.fields.empty() ? 0 : l.fields[0].values.size());
        continue;
      }
      if (!given) continue;
      FactColumn& c = t.scalars_[k];
      if (!store(c, decl, std::get<Scalar>(*e.facts[k]), c.values[r])) {
        fits = false;
        c.values[r] = 0;
      }
      c.present[r] = 1;
    }
    if (!fits) t.keep_exact(r, e);
  }
  t.seal();
  return t;
}

void FactTable::keep_exact(std::size_t row, Enterprise enterprise) {
  exact_[row] = std::move(enterprise);
}

Enterprise FactTable::enterprise(std::size_t row) const {
  auto kept = exact_.find(row);
  if (kept != exact_.end()) return kept->second;
  Enterprise e;
  e.rules_fingerprint = rules_->fingerprint();
  e.id = row < ids_.size() ? ids_[row] : "row " + std::to_string(row);
  if (year_.has(row)) e.year = year_.at(row);
  const auto& facts = rules_->facts();
  e.facts.resize(facts.size());
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const FactDecl& decl = facts[k];
    if (decl.unit.kind == UnitKind::list) {
      const ListColumn& l = lists_[k];
      if (!l.has(row)) continue;
      std::vector<Record> records;
      for (std::uint32_t i = l.offsets[row]; i < l.offsets[row + 1]; ++i) {
        Record rec(l.fields.size());
        for (std::size_t f = 0; f < l.fields.size(); ++f) {
          if (l.fields[f].has(i)) rec[f] = load(l.fields[f], decl.fields[f], l.fields[f].at(i));
        }
        records.push_back(std::move(rec));
      }
      e.facts[k] = std::move(records);
      continue;
    }
    const FactColumn& c = scalars_[k];
    if (c.has(row)) e.facts[k] = FactValue(load(c, decl, c.at(row)));
  }
  return e;
}

}  // namespace subsidy
