// Loading rule files, checks across the loaded rules: tier gaps and overlaps, groups, cycles of
// derived names, and the fingerprint of the sources (see loader.hpp).
#include "loader.hpp"
#include "sha256.hpp"

namespace subsidy::detail::load {

std::string Loader::describe_level(const TierInfo& t) {
  std::string s;
  if (t.lower) s += t.lower_word + " " + t.lower->to_string();
  if (t.upper) s += (s.empty() ? "" : ", ") + t.upper_word + " " + t.upper->to_string();
  return s;
}

// Bounds of tiers are literals or parameters; the check uses the latest version of a parameter.
Decimal Loader::constant(const Expression& e, const Mark& mark) {
  const Expr& root = *e.root;
  if (root.op == Op::number) return root.number;
  if (root.op == Op::name && root.ref == RefKind::parameter)
    return r_.parameters[root.slot].versions.back().value;
  throw Error::expected(ErrorKind::tiers, "a tier bound that is a number or a parameter",
                        "'" + e.source + "'", mark);
}

bool Loader::contains(const TierInfo& t, const Decimal& v) {
  if (t.lower && (t.lower_inclusive ? v < *t.lower : v <= *t.lower)) return false;
  if (t.upper && (t.upper_inclusive ? v > *t.upper : v >= *t.upper)) return false;
  return true;
}

// A value inside both levels, if there is one (used to report overlaps with a concrete figure).
std::optional<Decimal> Loader::common_value(const TierInfo& a, const TierInfo& b) {
  std::optional<Decimal> lo;
  bool lo_inc = true;
  auto tighten_lo = [&](const TierInfo& t) {
    if (!t.lower) return;
    if (!lo || *t.lower > *lo || (*t.lower == *lo && !t.lower_inclusive)) {
      lo = *t.lower;
      lo_inc = t.lower_inclusive;
    }
  };
  std::optional<Decimal> hi;
  bool hi_inc = true;
  auto tighten_hi = [&](const TierInfo& t) {
    if (!t.upper) return;
    if (!hi || *t.upper < *hi || (*t.upper == *hi && !t.upper_inclusive)) {
      hi = *t.upper;
      hi_inc = t.upper_inclusive;
    }
  };
  tighten_lo(a);
  tighten_lo(b);
  tighten_hi(a);
  tighten_hi(b);
  std::optional<Decimal> v;
  if (lo && hi) {
    if (*lo < *hi)
      v = lo_inc ? *lo : midpoint(*lo, *hi);
    else if (*lo == *hi && lo_inc && hi_inc)
      v = *lo;
  } else if (lo) {
    v = lo_inc ? *lo : *lo + Decimal(1);
  } else if (hi) {
    v = hi_inc ? *hi : *hi - Decimal(1);
  } else {
    v = Decimal(0);
  }
  if (v && contains(a, *v) && contains(b, *v)) return v;
  return std::nullopt;
}

Decimal Loader::midpoint(const Decimal& a, const Decimal& b) {
  const std::int32_t e = std::min(a.exponent(), b.exponent()) - 1;
  return Decimal::divide(a + b, Decimal(2), e, Rounding::half_even).reduce();
}

void Loader::check_tiers(const CompiledAward& a, const std::vector<Mark>& marks) {
  const auto& L = a.levels;
  if (a.hit == HitPolicy::highest) {
    for (std::size_t i = 1; i < L.size(); ++i) {
      const auto& p = L[i - 1].info;
      const auto& c = L[i].info;
      if (!p.lower || !c.lower || !(*p.lower < *c.lower)) {
        throw Error::expected(ErrorKind::tiers,
                              "thresholds in increasing order with lower bounds (hit: highest)",
                              "level '" + c.label + "' not above '" + p.label + "'", marks[i]);
      }
    }
    return;
  }
  if (a.hit != HitPolicy::unique) return;
  // Overlaps: any two levels whose intersection holds a value.
  for (std::size_t i = 0; i < L.size(); ++i) {
    for (std::size_t j = i + 1; j < L.size(); ++j) {
      if (auto both = common_value(L[i].info, L[j].info)) {
        throw Error(ErrorKind::tiers,
                    "tiers '" + L[i].info.label + "' and '" + L[j].info.label +
                        "' overlap: " + both->to_string() + " falls in both (hit: unique)",
                    marks[j]);
      }
    }
  }
  // Gaps: sorted by lower bound, each level must start where the levels before it reach.
  std::vector<std::size_t> order(L.size());
  for (std::size_t i = 0; i < L.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const auto& p = L[x].info;
    const auto& q = L[y].info;
    if (!p.lower) return q.lower.has_value();
    if (!q.lower) return false;
    return *p.lower < *q.lower;
  });
  const TierInfo* reach = &L[order[0]].info;
  for (std::size_t k = 1; k < order.size(); ++k) {
    const TierInfo& B = L[order[k]].info;
    if (!reach->upper) break;  // the levels so far reach +∞
    std::optional<Decimal> none;
    if (B.lower && *reach->upper < *B.lower) {
      none = reach->upper_inclusive ? midpoint(*reach->upper, *B.lower) : *reach->upper;
    } else if (B.lower && *reach->upper == *B.lower && !reach->upper_inclusive &&
               !B.lower_inclusive) {
      none = *reach->upper;
    }
    if (none) {
      throw Error(ErrorKind::tiers,
                  "tiers '" + reach->label + "' and '" + B.label +
                      "' leave a gap: " + none->to_string() + " falls in none (hit: unique)",
                  marks[order[k]]);
    }
    if (!B.upper || *B.upper > *reach->upper || (*B.upper == *reach->upper && B.upper_inclusive))
      reach = &B;
  }
}

void Loader::check_groups() {
  for (std::size_t g = 0; g < r_.groups.size(); ++g) {
    const GroupInfo& group = r_.groups[g];
    if (std::find(group.members.begin(), group.members.end(), group.default_member) ==
        group.members.end()) {
      throw Error::expected(
          ErrorKind::name,
          "a default that is a member of group '" + group.id + "' (" + join(group.members) + ")",
          "'" + group.default_member + "'", group_marks_[g]);
    }
  }
}

void Loader::check_cycles() {
  // Depth-first search over the derived values' dependencies; a back edge is a cycle. Every
  // cycle found is reported (one error each), not only the first.
  std::vector<int> state(r_.derived.size(), 0);
  std::vector<std::size_t> path;
  std::function<void(std::size_t)> visit = [&](std::size_t k) {
    state[k] = 1;
    path.push_back(k);
    for (std::size_t next : r_.derived[k].uses) {
      if (state[next] == 1) {
        std::string cycle;
        auto start = std::find(path.begin(), path.end(), next);
        for (auto it = start; it != path.end(); ++it) cycle += r_.derived[*it].name + " → ";
        cycle += r_.derived[next].name;
        errors_.emplace_back(ErrorKind::cycle, "derived values depend on themselves: " + cycle,
                             r_.derived[next].expr.mark);
        continue;
      }
      if (state[next] == 0) visit(next);
    }
    path.pop_back();
    state[k] = 2;
  };
  for (std::size_t k = 0; k < r_.derived.size(); ++k) {
    if (state[k] == 0) visit(k);
  }
}

void Loader::fingerprint() {
  std::vector<std::pair<std::string, std::string>> sorted;
  for (const auto& [name, text] : r_.sources) {
    sorted.emplace_back(std::filesystem::path(name).filename().string(), text);
  }
  std::sort(sorted.begin(), sorted.end());
  Sha256 h;
  for (const auto& [name, text] : sorted) {
    h.update(name)
        .update(std::string(1, '\0'))
        .update(std::to_string(text.size()))
        .update(std::string(1, '\0'));
    h.update(text);
  }
  r_.fingerprint = h.hex();
}

}  // namespace subsidy::detail::load
