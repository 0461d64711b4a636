// bench_batch: the columnar engine against hand-written exact code, on N synthetic enterprises.
// Not a test: it prints numbers (and writes them as JSON lines for bench/report.py).
//
//   build/bench/bench_batch [N=1000000] [rules-dir=rules] [out.jsonl] [data-dir] [prefix-N=100000]
//
// For profiling the engine: BENCH_QUICK=1 (engine rows on one thread only, timed in CPU seconds),
// BENCH_ONLY=S|J|W (one workload's engine rows), BENCH_RUNS=k (k runs instead of 5).
//
// An "evaluation" is one enterprise × one rule. Workload S is 17 rules (J4, O11 first-unit ×3,
// O20 cash ×6, O21 ×7); workload J is the J4 rebate alone (the peer comparison with OpenFisca,
// bench/bench_openfisca.py); workload W is every rule of the four policy sets, evaluated as three
// scenarios (one per member of the alternative group electromechanical-policy), and is also
// reported in enterprises per second (one enterprise = all three scenarios).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handwritten.hpp"
#include "subsidy/subsidy.hpp"
#include "synthetic.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kSeed = 20101;
constexpr int kRuns = 5;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool quick();

/// The process's CPU seconds: in quick mode runs are timed by it, less disturbed by other jobs
/// on a loaded machine than wall time (one thread only).
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

template <class F>
double median_seconds(F&& body) {
  std::vector<double> times;
  // BENCH_RUNS=k: more runs, for a profile dominated by the engine.
  const char* runs = std::getenv("BENCH_RUNS");
  const int count = runs != nullptr ? std::max(kRuns, std::atoi(runs)) : kRuns;
  for (int i = 0; i < count; ++i) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    body();
    times.push_back(quick() ? cpu_seconds() - c0 : seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct Row {
  std::string implementation;
  std::string workload;
  std::size_t n = 0;
  double evaluations_per_second = 0;
  std::string checksum;
  std::string note;
};

std::vector<Row> rows;

/// BENCH_QUICK=1 in the environment: the engine rows on one thread only, timed in CPU seconds
/// (for profiling).
bool quick() {
  const char* q = std::getenv("BENCH_QUICK");
  return q != nullptr && std::string(q) == "1";
}

void report(Row row) {
  std::cout << std::left << std::setw(44) << row.implementation << std::setw(4) << row.workload
            << std::right << std::setw(9) << row.n << std::setw(16) << std::fixed
            << std::setprecision(0) << row.evaluations_per_second << "  " << row.checksum << "  "
            << row.note << std::endl;
  rows.push_back(std::move(row));
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> rule_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

const std::vector<std::string> kJ4 = {"machining-survey/J4-tax-rebate"};
const std::vector<std::string> kOrules = {
    "em-opinions-draft/O11-first-unit-major-equipment",
    "em-opinions-draft/O11-first-unit-special-equipment",
    "em-opinions-draft/O11-first-unit-key-component",
    "em-opinions-draft/O20-governor-award",
    "em-opinions-draft/O20-mayor-award",
    "em-opinions-draft/O20-provincial-quality-product",
    "em-opinions-draft/O20-provincial-famous-brand",
    "em-opinions-draft/O20-well-known-trademark",
    "em-opinions-draft/O20-china-famous-brand",
    "em-opinions-draft/O21-international-standard",
    "em-opinions-draft/O21-national-standard",
    "em-opinions-draft/O21-industry-or-provincial-standard",
    "em-opinions-draft/O21-rating-national-4a",
    "em-opinions-draft/O21-rating-national-3a",
    "em-opinions-draft/O21-rating-provincial-4a",
    "em-opinions-draft/O21-rating-provincial-3a",
};

/// Runs programs over a table; the checksum is the exact sum of every program's cash ceiling total.
struct EngineRun {
  std::string checksum;
  std::size_t reference_rows = 0;
};

EngineRun run_programs(const std::vector<subsidy::Program>& programs,
                       const subsidy::FactTable& table, unsigned threads) {
  subsidy::Decimal sum;
  EngineRun out;
  for (const auto& p : programs) {
    const subsidy::ColumnarResult r = p.run(table, threads);
    sum += r.totals.all.cash.max;
    out.reference_rows +=
        static_cast<std::size_t>(std::count(r.by_reference.begin(), r.by_reference.end(), 1));
  }
  out.checksum = sum.to_string();
  return out;
}

void engine(const std::string& workload, const std::vector<subsidy::Program>& programs,
            const subsidy::FactTable& table, std::size_t rules_per_row, double& one_thread) {
  // BENCH_ONLY=S (or J, W): that workload's engine rows only.
  const char* only = std::getenv("BENCH_ONLY");
  if (only != nullptr && workload != only) return;
  for (unsigned threads : {1u, 2u}) {
    if (threads > 1 && quick()) break;
    EngineRun last;
    const double t = median_seconds([&] { last = run_programs(programs, table, threads); });
    std::string note = "reference-path rows: " + std::to_string(last.reference_rows);
    if (threads == 1) one_thread = t;
    if (threads == 2) {
      std::ostringstream s;
      s << std::setprecision(2) << std::fixed << one_thread / t;
      note += "; speed-up over 1 thread " + s.str() + "×";
    }
    if (workload == "W") {
      std::ostringstream s;
      s << std::fixed << std::setprecision(0) << static_cast<double>(table.rows()) / t;
      note += "; " + s.str() + " enterprises/s";
    }
    for (const auto& p : programs) {
      if (!p.compiled()) note += "; NOT COMPILED: " + p.unsupported();
    }
    report(
        {"engine C++ (columnar), " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : ""),
         workload, table.rows(), static_cast<double>(table.rows() * rules_per_row) / t,
         last.checksum, note});
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 1000000;
  const std::string rules_dir = argc > 2 ? argv[2] : "rules";
  const std::string out_path = argc > 3 ? argv[3] : "";
  const std::string data_dir = argc > 4 ? argv[4] : "";
  // The slower implementations (Python) run on the first prefix_n enterprises.
  const std::size_t prefix_n = std::min<std::size_t>(n, argc > 5 ? std::stoul(argv[5]) : 100000);
  // The machine's load when the run starts (other jobs share its 2 cores): read the thread rows
  // against it.
  double load_start[1] = {-1};
  (void)getloadavg(load_start, 1);
  try {
    // Loading and checking every rule file.
    const auto files = rule_files(rules_dir);
    const double load = median_seconds([&] { (void)subsidy::RuleSet::load(files); });
    const subsidy::RuleSet rules = subsidy::RuleSet::load(files);
    std::cout << "load and check " << files.size() << " rule files: " << std::fixed
              << std::setprecision(2) << load * 1000 << " ms (median of " << kRuns << ")\n";

    const auto t0 = Clock::now();
    bench::Synthetic data = bench::generate(n, kSeed);
    std::cout << "generated " << n << " enterprises in " << seconds_since(t0) << " s\n";
    if (!data_dir.empty()) bench::write_files(data, data_dir);

    // Hand-written references.
    const std::size_t evaluations = n * bench::kRulesS;
    if (!quick()) {
      std::int64_t sum = 0;
      const double t = median_seconds([&] {
        std::int64_t s = 0;
        for (std::size_t r = 0; r < n; ++r) s += bench::workload_s<std::int64_t>(data, r);
        sum = s;
      });
      report({"hand-written C++, int64_t 分 (unchecked)", "S", n,
              static_cast<double>(evaluations) / t,
              subsidy::Decimal::from_scaled_int64(sum, -2).to_string(), ""});
    }
    std::int64_t prefix_sum = 0;
    for (std::size_t r = 0; r < prefix_n; ++r)
      prefix_sum += bench::workload_s<std::int64_t>(data, r);
    double reference_rate = 0;
    if (!quick()) {
      using boost::multiprecision::checked_int128_t;
      checked_int128_t sum = 0;
      const double t = median_seconds([&] {
        checked_int128_t s = 0;
        for (std::size_t r = 0; r < n; ++r) s += bench::workload_s<checked_int128_t>(data, r);
        sum = s;
      });
      reference_rate = static_cast<double>(evaluations) / t;
      report({"hand-written C++, checked_int128_t 分 (reference)", "S", n, reference_rate,
              subsidy::Decimal::from_coefficient(sum.str(), -2).to_string(), ""});
    }

    // A control: the same checked_int128 code on 2 threads (halves of the rows). On a shared
    // machine this shows how much of a second core the benchmark actually gets.
    if (!quick()) {
      using boost::multiprecision::checked_int128_t;
      checked_int128_t sum = 0;
      const double t = median_seconds([&] {
        checked_int128_t halves[2] = {0, 0};
        std::thread other([&] {
          for (std::size_t r = n / 2; r < n; ++r)
            halves[1] += bench::workload_s<checked_int128_t>(data, r);
        });
        for (std::size_t r = 0; r < n / 2; ++r)
          halves[0] += bench::workload_s<checked_int128_t>(data, r);
        other.join();
        sum = halves[0] + halves[1];
      });
      std::ostringstream s;
      s << std::fixed << std::setprecision(2)
        << static_cast<double>(evaluations) / t / reference_rate;
      report({"hand-written C++, checked_int128_t 分, 2 threads (control)", "S", n,
              static_cast<double>(evaluations) / t,
              subsidy::Decimal::from_coefficient(sum.str(), -2).to_string(),
              "the machine's own 2-thread speed-up for this code: " + s.str() + "×"});
    }

    // Workload J: the J4 rebate alone, hand-written (checked_int128) and on the engine below.
    std::string j_checksum;
    std::int64_t prefix_j = 0;
    for (std::size_t r = 0; r < prefix_n; ++r) prefix_j += bench::workload_j<std::int64_t>(data, r);
    if (!quick()) {
      using boost::multiprecision::checked_int128_t;
      checked_int128_t sum = 0;
      const double t = median_seconds([&] {
        checked_int128_t s = 0;
        for (std::size_t r = 0; r < n; ++r) s += bench::workload_j<checked_int128_t>(data, r);
        sum = s;
      });
      j_checksum = subsidy::Decimal::from_coefficient(sum.str(), -2).to_string();
      report({"hand-written C++, checked_int128_t 分", "J", n, static_cast<double>(n) / t,
              j_checksum, ""});
    }

    // The engine, workload S: J4 under its policy set's scenario, the O rules under the default.
    subsidy::Scenario machining;
    machining.choose["electromechanical-policy"] = "machining-survey";
    std::vector<subsidy::Program> s_programs;
    s_programs.emplace_back(rules, machining, kJ4);
    // The O21 rating rules pay per rating under the reading each_rating (the default reading
    // pays once, at the highest grade, through another rule).
    subsidy::Scenario each_rating;
    each_rating.options["standardization_rating_count"] = "each_rating";
    s_programs.emplace_back(rules, each_rating, kOrules);
    double one = 0;
    {
      const subsidy::FactTable table = bench::to_table(rules, data, false, kSeed);
      engine("S", s_programs, table, bench::kRulesS, one);
      std::vector<subsidy::Program> j_programs;
      j_programs.emplace_back(rules, machining, kJ4);
      double one_j = 0;
      engine("J", j_programs, table, 1, one_j);
      std::cout << "peak memory after workload S (N = " << n << "): " << peak_rss_kib() / 1024
                << " MiB\n";
    }
    const long peak_s = peak_rss_kib();

    // Workload W: every rule, all three members of the alternative group.
    long w_table_mib = 0;
    std::vector<subsidy::Program> w_programs;
    std::size_t w_rules = 0;
    for (const char* member : {"em-opinions-draft", "machining-survey", "mining-em-survey"}) {
      subsidy::Scenario s;
      s.choose["electromechanical-policy"] = member;
      w_programs.emplace_back(rules, s);
    }
    for (const auto& p : w_programs) w_rules += p.rule_count();
    {
      const subsidy::FactTable table = bench::to_table(rules, data, true, kSeed);
      data = bench::Synthetic{};  // the table holds the facts now
      w_table_mib = static_cast<long>(table.bytes() >> 20);
      std::cout << "workload W fact table: " << w_table_mib << " MiB of columns\n";
      engine("W", w_programs, table, w_rules, one);
    }
    const long peak_w = peak_rss_kib();
    std::cout << "peak memory with workload W's full fact table: " << peak_w / 1024 << " MiB\n";

    if (!out_path.empty()) {
      std::ofstream out(out_path);
      for (const auto& r : rows) {
        out << "{\"implementation\": \"" << json_escape(r.implementation) << "\", \"workload\": \""
            << r.workload << "\", \"n\": " << r.n << ", \"evaluations_per_second\": " << std::fixed
            << std::setprecision(0) << r.evaluations_per_second << ", \"checksum\": \""
            << r.checksum << "\", \"note\": \"" << json_escape(r.note) << "\"}\n";
      }
      double load_end[1] = {-1};
      (void)getloadavg(load_end, 1);
      out << "{\"meta\": true, \"load_average_start\": " << std::setprecision(2) << load_start[0]
          << ", \"load_average_end\": " << load_end[0] << ", \"load_ms\": " << std::setprecision(3)
          << load * 1000 << ", \"rule_files\": " << files.size()
          << ", \"peak_rss_mib_s\": " << peak_s / 1024 << ", \"peak_rss_mib_w\": " << peak_w / 1024
          << ", \"table_mib_w\": " << w_table_mib << ", \"rules_w\": " << w_rules
          << ", \"reference_rate\": " << std::setprecision(0) << reference_rate
          << ", \"prefix_n\": " << prefix_n << ", \"checksum_prefix\": \""
          << subsidy::Decimal::from_scaled_int64(prefix_sum, -2).to_string()
          << "\", \"checksum_prefix_j\": \""
          << subsidy::Decimal::from_scaled_int64(prefix_j, -2).to_string() << "\"}\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_batch: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
