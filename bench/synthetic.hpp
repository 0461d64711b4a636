// The benchmark's synthetic enterprises: a seeded, deterministic generator shared by every
// implementation (the C++ ones read these arrays; the Python ones read the files write_files
// makes).
//
// Workload S facts: industry, sales revenue spread over four decades from 1百万 to 20亿 (so every
// J4 tier occurs), land-use tax, income tax this year and last, and lists of standards,
// standardisation ratings, first-unit products and quality awards of 0–3 records. Amounts are in
// 分 (two decimals). Enumeration codes follow the order of the values in rules/jiyuan-common.yaml.
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "splitmix.hpp"
#include "subsidy/subsidy.hpp"

namespace bench {

// Enumeration values, in declaration order (checked against the rule set when a table is built).
inline const std::vector<std::string> kIndustry = {"矿用机电", "机械加工", "机械装备制造", "其他"};
inline const std::vector<std::string> kStandardLevel = {"国际标准", "国家标准", "行业标准",
                                                        "省地方标准"};
inline const std::vector<std::string> kStandardRole = {"主要起草单位", "参与起草单位"};
inline const std::vector<std::string> kRatingGrade = {"国家4A", "国家3A", "省级4A", "省级3A"};
inline const std::vector<std::string> kFirstUnitCategory = {
    "国内首台重大装备或成套装备", "国内首台专用装备", "国内首台关键基础件"};
inline const std::vector<std::string> kQualityKind = {"省长奖",     "市长奖",       "省级优质产品",
                                                      "省名牌产品", "全国驰名商标", "中国名牌产品"};

/// Workload S facts, by column.
struct Synthetic {
  std::size_t rows = 0;
  std::vector<std::uint8_t> industry;
  std::vector<std::int64_t> revenue, land_tax, income_tax, income_tax_last;  // 分
  std::vector<std::uint32_t> standard_offsets, rating_offsets, product_offsets, award_offsets;
  std::vector<std::uint8_t> standard_level, standard_role, rating_grade, product_category,
      product_certified, award_kind;
  std::vector<std::int64_t> product_price;  // 分
};

inline Synthetic generate(std::size_t rows, std::uint64_t seed) {
  Synthetic d;
  d.rows = rows;
  SplitMix g{seed};
  d.standard_offsets.push_back(0);
  d.rating_offsets.push_back(0);
  d.product_offsets.push_back(0);
  d.award_offsets.push_back(0);
  auto code = [&](std::size_t n) {
    return static_cast<std::uint8_t>(g.below(static_cast<std::int64_t>(n)));
  };
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int64_t pick = g.below(10);
    d.industry.push_back(static_cast<std::uint8_t>(pick < 4 ? 2 : pick < 6 ? 1 : pick < 8 ? 0 : 3));
    // 1百万 · 10^k … 1百万 · 10^(k+1) 元 for k = 0..2, or 10亿–20亿, in 分.
    static const std::int64_t kLow[] = {100000000LL, 1000000000LL, 10000000000LL, 100000000000LL};
    static const std::int64_t kHigh[] = {1000000000LL, 10000000000LL, 100000000000LL,
                                         200000000001LL};
    const std::int64_t decade = g.below(4);
    d.revenue.push_back(kLow[decade] + g.below(kHigh[decade] - kLow[decade]));
    d.land_tax.push_back(g.below(500000000LL));
    d.income_tax.push_back(g.below(1000000000LL));
    d.income_tax_last.push_back(g.below(1000000000LL));
    for (std::int64_t k = g.below(4); k > 0; --k) {
      d.standard_level.push_back(code(kStandardLevel.size()));
      d.standard_role.push_back(code(kStandardRole.size()));
    }
    d.standard_offsets.push_back(static_cast<std::uint32_t>(d.standard_level.size()));
    for (std::int64_t k = g.below(3); k > 0; --k)
      d.rating_grade.push_back(code(kRatingGrade.size()));
    d.rating_offsets.push_back(static_cast<std::uint32_t>(d.rating_grade.size()));
    for (std::int64_t k = g.below(4); k > 0; --k) {
      d.product_category.push_back(code(kFirstUnitCategory.size()));
      d.product_certified.push_back(static_cast<std::uint8_t>(g.below(10) < 8 ? 1 : 0));
      d.product_price.push_back(50000000LL + g.below(250000001LL));  // 50万–300万 元
    }
    d.product_offsets.push_back(static_cast<std::uint32_t>(d.product_category.size()));
    for (std::int64_t k = g.below(4); k > 0; --k) d.award_kind.push_back(code(kQualityKind.size()));
    d.award_offsets.push_back(static_cast<std::uint32_t>(d.award_kind.size()));
  }
  return d;
}

namespace detail {

inline std::size_t slot_of(const subsidy::RuleSet& rules, const std::string& name) {
  auto slot = rules.fact_slot(name);
  if (!slot) throw std::runtime_error("the rules declare no fact '" + name + "'");
  return *slot;
}

inline void expect_values(const subsidy::FactDecl& decl, const std::vector<std::string>& values) {
  if (decl.values != values)
    throw std::runtime_error("the values of '" + decl.name +
                             "' changed; update bench/synthetic.hpp");
}

inline void money(subsidy::FactTable& t, const subsidy::RuleSet& rules, const std::string& name,
                  const std::vector<std::int64_t>& fen) {
  subsidy::FactColumn& c = t.give(slot_of(rules, name));
  if (c.exponent != -2) throw std::runtime_error(name + " is not a money column");
  c.values = fen;
  c.present.assign(fen.size(), 1);
}

inline void codes(subsidy::FactColumn& c, const std::vector<std::uint8_t>& v) {
  c.values.assign(v.begin(), v.end());
  c.present.assign(v.size(), 1);
}

inline subsidy::ListColumn& list(subsidy::FactTable& t, const subsidy::RuleSet& rules,
                                 const std::string& name,
                                 const std::vector<std::uint32_t>& offsets) {
  subsidy::ListColumn& l = t.give_list(slot_of(rules, name));
  l.offsets = offsets;
  l.present.assign(offsets.size() - 1, 1);
  return l;
}

}  // namespace detail

/// A fact table holding workload S's facts; with `every_fact`, every other fact of the rule set
/// too (generic values by unit, seeded), so that workload W's rules all have their facts.
inline subsidy::FactTable to_table(const subsidy::RuleSet& rules, const Synthetic& d,
                                   bool every_fact, std::uint64_t seed) {
  using namespace detail;
  subsidy::FactTable t(rules, d.rows);
  const auto& facts = rules.facts();
  std::vector<bool> done(facts.size(), false);
  {
    const std::size_t s = slot_of(rules, "industry");
    expect_values(facts[s], kIndustry);
    codes(t.give(s), d.industry);
    done[s] = true;
  }
  money(t, rules, "sales_revenue", d.revenue);
  money(t, rules, "land_use_tax", d.land_tax);
  money(t, rules, "income_tax_paid", d.income_tax);
  money(t, rules, "income_tax_paid_last_year", d.income_tax_last);
  for (const char* name :
       {"sales_revenue", "land_use_tax", "income_tax_paid", "income_tax_paid_last_year"}) {
    done[slot_of(rules, name)] = true;
  }
  {
    auto& l = list(t, rules, "standards", d.standard_offsets);
    expect_values(facts[slot_of(rules, "standards")].fields[0], kStandardLevel);
    expect_values(facts[slot_of(rules, "standards")].fields[1], kStandardRole);
    codes(l.fields[0], d.standard_level);
    codes(l.fields[1], d.standard_role);
    auto& ratings = list(t, rules, "standardization_ratings", d.rating_offsets);
    expect_values(facts[slot_of(rules, "standardization_ratings")].fields[0], kRatingGrade);
    codes(ratings.fields[0], d.rating_grade);
    auto& products = list(t, rules, "first_unit_products", d.product_offsets);
    const auto& decl = facts[slot_of(rules, "first_unit_products")];
    expect_values(decl.fields[0], kFirstUnitCategory);
    if (decl.fields[1].name != "price" || decl.fields[2].name != "certified")
      throw std::runtime_error("first_unit_products fields changed");
    codes(products.fields[0], d.product_category);
    products.fields[1].values = d.product_price;
    products.fields[1].present.assign(d.product_price.size(), 1);
    codes(products.fields[2], d.product_certified);
    auto& awards = list(t, rules, "quality_awards", d.award_offsets);
    expect_values(facts[slot_of(rules, "quality_awards")].fields[0], kQualityKind);
    codes(awards.fields[0], d.award_kind);
    for (const char* name :
         {"standards", "standardization_ratings", "first_unit_products", "quality_awards"}) {
      done[slot_of(rules, name)] = true;
    }
  }
  // Sealing packs each column to its narrowest integer width as soon as it is filled, so the
  // int64 staging form of only one column exists at a time.
  t.seal();
  if (!every_fact) return t;
  SplitMix g{seed ^ 0x5eedULL};
  auto value = [&](const subsidy::FactDecl& decl) -> std::int64_t {
    switch (decl.unit.kind) {
      case subsidy::UnitKind::boolean:
        return g.below(2);
      case subsidy::UnitKind::enumeration:
        return g.below(static_cast<std::int64_t>(std::max<std::size_t>(1, decl.values.size())));
      case subsidy::UnitKind::count:
        return g.below(6);
      case subsidy::UnitKind::year:
        return 2005 + g.below(10);
      case subsidy::UnitKind::date:
        return 20080101 + g.below(8) * 10000 + g.below(12) * 100 + g.below(28);
      case subsidy::UnitKind::money:
        return g.below(1000000000LL);
      case subsidy::UnitKind::text:
        return 0;
      default:
        return g.below(1000001);  // 0–1 at 10^-6
    }
  };
  subsidy::FactColumn& year = t.give_year();
  for (std::size_t r = 0; r < d.rows; ++r) {
    year.values[r] = 2010;
    year.present[r] = 1;
  }
  t.seal();
  for (std::size_t k = 0; k < facts.size(); ++k) {
    if (done[k]) continue;
    const auto& decl = facts[k];
    if (decl.unit.kind == subsidy::UnitKind::list) {
      subsidy::ListColumn& l = t.give_list(k);
      for (std::size_t r = 0; r < d.rows; ++r) {
        l.present[r] = 1;
        for (std::int64_t n = g.below(3); n > 0; --n) {
          for (std::size_t f = 0; f < l.fields.size(); ++f) {
            if (decl.fields[f].unit.kind == subsidy::UnitKind::text)
              l.fields[f].dictionary.assign(1, "x");
            l.fields[f].values.push_back(value(decl.fields[f]));
            l.fields[f].present.push_back(1);
          }
        }
        l.offsets[r + 1] =
            static_cast<std::uint32_t>(l.fields.empty() ? 0 : l.fields[0].values.size());
      }
      t.seal();
      continue;
    }
    subsidy::FactColumn& c = t.give(k);
    if (decl.unit.kind == subsidy::UnitKind::text) c.dictionary.assign(1, "x");
    for (std::size_t r = 0; r < d.rows; ++r) {
      c.values[r] = value(decl);
      c.present[r] = 1;
    }
    t.seal();
  }
  return t;
}

/// Writes the S columns as raw little-endian arrays (name.bin) for the Python implementations.
inline void write_files(const Synthetic& d, const std::string& dir) {
  auto put = [&](const std::string& name, const auto& v) {
    std::ofstream out(dir + "/" + name + ".bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(v[0])));
  };
  put("industry", d.industry);
  put("revenue", d.revenue);
  put("land_tax", d.land_tax);
  put("income_tax", d.income_tax);
  put("income_tax_last", d.income_tax_last);
  put("standard_offsets", d.standard_offsets);
  put("standard_level", d.standard_level);
  put("standard_role", d.standard_role);
  put("rating_offsets", d.rating_offsets);
  put("rating_grade", d.rating_grade);
  put("product_offsets", d.product_offsets);
  put("product_category", d.product_category);
  put("product_certified", d.product_certified);
  put("product_price", d.product_price);
  put("award_offsets", d.award_offsets);
  put("award_kind", d.award_kind);
}

}  // namespace bench
