// The Azure Functions trace readers on day-sized files the benchmark writes itself:
// the 2019 layout (45,000 functions x 1,440 minutes by default) and the 2021 layout
// (2 million invocations by default). Prints the rows read per second, the peak
// resident memory while reading and the memory the loaded trace holds; for 2021
// also the rate of a whole streamed replay and the most invocations it held back.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "fogsched/core/azure2019.h"
#include "fogsched/core/azure2021.h"
#include "process_memory.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using fogsched::bench::reset_peak_rss;
using fogsched::bench::status_kib;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string hash(const char* kind, std::uint64_t n) { return fmt::format("{:0>56}{:08x}", kind, n); }

// Invocations of function k in minute m: most functions are rare, some run every
// minute (timers), a few are busy, as in the published days.
std::uint32_t day_count(std::uint64_t k, std::uint32_t m) {
  switch (k % 10) {
    case 6:
    case 7: return 1;
    case 8: return static_cast<std::uint32_t>((k + m) % 50);
    case 9: return static_cast<std::uint32_t>((k * 7 + m) % 500);
    default: return (m % (k % 97 + 10)) == 0 ? 1 : 0;
  }
}

void write_2019_day(const fs::path& dir, std::uint64_t functions) {
  std::ofstream invocations(dir / "invocations.csv", std::ios::binary);
  std::ofstream durations(dir / "durations.csv", std::ios::binary);
  invocations << "HashOwner,HashApp,HashFunction,Trigger";
  for (int m = 1; m <= 1440; ++m) invocations << ',' << m;
  invocations << '\n';
  durations << "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
               "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
               "percentile_Average_99,percentile_Average_100\n";
  std::string row;
  char number[16];
  for (std::uint64_t k = 0; k < functions; ++k) {
    const std::string ids = fmt::format("{},{},{}", hash("o", k / 20), hash("a", k / 4), hash("f", k));
    row = ids + ",http";
    for (std::uint32_t m = 0; m < 1440; ++m) {
      const auto end = std::to_chars(number, number + sizeof number, day_count(k, m)).ptr;
      row += ',';
      row.append(number, end);
    }
    row += '\n';
    invocations << row;
    const std::uint64_t s = 100 + k % 900;
    durations << fmt::format("{},{},1,{},{},{},{},{},{},{},{},{}\n", ids, s, s / 5, s * 4, s / 5, s * 3 / 10,
                             s * 6 / 10, s, s * 3 / 2, s * 3, s * 4);
  }
}

void write_2021(const fs::path& dir, std::uint64_t rows) {
  std::ofstream out(dir / "invocations2021.csv", std::ios::binary);
  out << "app,func,end_timestamp,duration\n";
  for (std::uint64_t i = 0; i < rows; ++i) {
    const double duration = 0.05 + static_cast<double>(i * 7 % 37) * 0.05;
    out << fmt::format("{},{},{:.3f},{:.3f}\n", hash("a", i % 119), hash("f", i % 424),
                       1.0 + static_cast<double>(i) * 0.05, duration);
  }
}

double mib(std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Read rate and memory of the Azure Functions trace readers on generated day-sized files");
  std::uint64_t functions = 45000;
  std::uint64_t rows2021 = 2'000'000;
  std::string dir_text = (fs::temp_directory_path() / "fogsched-azure-bench").string();
  app.add_option("--functions", functions, "Functions (rows) of the 2019 day (default 45000)");
  app.add_option("--rows-2021", rows2021, "Invocations (rows) of the 2021 trace (default 2000000; 0 = skip)");
  app.add_option("--dir", dir_text, "Where the generated files go (removed at the end)");
  CLI11_PARSE(app, argc, argv);

  const fs::path dir(dir_text);
  fs::create_directories(dir);
  fmt::print("writing a 2019 day of {} functions x 1440 minutes ...\n", functions);
  std::fflush(stdout);
  write_2019_day(dir, functions);
  const double file_mib = static_cast<double>(fs::file_size(dir / "invocations.csv")) / (1 << 20);

  bool peak_reset = true;
  // Every function kept, then the 1000 most invoked: the memory held follows the
  // functions kept.
  fogsched::AzureSelection top;
  top.choice = fogsched::AzureFunctionChoice::top;
  top.count = 1000;
  for (const auto& [name, selection] : {std::pair{"all", fogsched::AzureSelection{}}, std::pair{"top 1000", top}}) {
    peak_reset = reset_peak_rss() && peak_reset;
    const std::uint64_t before_kib = status_kib("VmRSS");
    const auto start = Clock::now();
    const fogsched::AzureInvocations2019 day =
        fogsched::read_azure2019((dir / "invocations.csv").string(), (dir / "durations.csv").string(), selection);
    const double wall = seconds_since(start);
    const std::uint64_t held_kib = status_kib("VmRSS") - before_kib;
    const std::uint64_t peak_kib = status_kib("VmHWM") - before_kib;
    fmt::print(
        "azure2019 functions: {:<8} {} rows ({:.0f} MiB) read in {:.2f} s (two passes): {:.0f} rows/s, "
        "{:.0f} MiB/s; {} functions kept, {} non-zero minutes, {} invocations\n",
        name, day.rows_read, file_mib, wall, static_cast<double>(day.rows_read) / wall, 2 * file_mib / wall,
        day.functions.size(), day.counts.size(), day.invocations_expected);
    fmt::print(
        "azure2019 functions: {:<8} memory: {:.1f} MiB held by the loaded day, peak {:.1f} MiB while "
        "reading\n",
        name, mib(held_kib), mib(peak_kib));
  }
  fs::remove(dir / "invocations.csv");
  fs::remove(dir / "durations.csv");

  if (rows2021 > 0) {
    fmt::print("writing a 2021 trace of {} invocations ...\n", rows2021);
    std::fflush(stdout);
    write_2021(dir, rows2021);
    reset_peak_rss();
    const std::uint64_t before_2021_kib = status_kib("VmRSS");
    auto start = Clock::now();
    const fogsched::AzureInvocations2021 trace =
        fogsched::read_azure2021((dir / "invocations2021.csv").string(), fogsched::AzureSelection{});
    const double read_wall = seconds_since(start);
    start = Clock::now();
    fogsched::AzureReplay2021 replay(trace);
    std::uint64_t replayed = 0;
    std::size_t most_held = 0;
    while (replay.next()) {
      ++replayed;
      most_held = std::max(most_held, replay.held());
    }
    const double replay_wall = seconds_since(start);
    fmt::print(
        "azure2021 {} rows read in {:.2f} s: {:.0f} rows/s; replayed in {:.2f} s: {:.0f} rows/s, "
        "at most {} held back; peak {:.1f} MiB over both\n",
        trace.rows_read, read_wall, static_cast<double>(trace.rows_read) / read_wall, replay_wall,
        static_cast<double>(replayed) / replay_wall, most_held, mib(status_kib("VmHWM") - before_2021_kib));
    fs::remove(dir / "invocations2021.csv");
  }
  fs::remove(dir);
  if (!peak_reset) fmt::print("note: the kernel refused to reset the peak RSS; peaks include the generation\n");
  return 0;
}
