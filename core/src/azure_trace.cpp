// The CSV reader and the choice of functions shared by the Azure trace readers.
#include "fogsched/core/azure_trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <system_error>
#include <unordered_set>

#include "fogsched/core/config_reader.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/rng.h"

namespace fogsched {

AzureCsvReader::AzureCsvReader(const std::string& path) : file_(path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) fail("cannot read the trace: no such file");
  if (std::filesystem::is_directory(status)) fail("cannot read the trace: it is a directory");
  in_.open(path, std::ios::binary);
  if (!in_) fail("cannot read the trace: the file cannot be opened");
}

bool AzureCsvReader::next(std::vector<std::string_view>& fields) {
  while (std::getline(in_, text_)) {
    ++line_;
    std::string_view record = trim(text_);
    if (line_ == 1 && record.starts_with("\xEF\xBB\xBF")) record = trim(record.substr(3));
    if (record.empty()) continue;
    fields.clear();
    for (;;) {
      const auto comma = record.find(',');
      fields.push_back(trim(record.substr(0, comma)));
      if (comma == std::string_view::npos) return true;
      record.remove_prefix(comma + 1);
    }
  }
  if (in_.bad()) fail("cannot read the trace: read error");
  return false;
}

void AzureCsvReader::expect_header(std::span<const std::string_view> expected) {
  std::vector<std::string_view> fields;
  const std::string wanted = fmt::format("{}", fmt::join(expected, ","));
  if (!next(fields)) fail(fmt::format("the file is empty (expected the header {})", quote_input(wanted)));
  if (!std::equal(fields.begin(), fields.end(), expected.begin(), expected.end())) {
    fail(fmt::format("bad header {} (expected {})", quote_input(fmt::format("{}", fmt::join(fields, ","))),
                     quote_input(wanted)));
  }
}

void AzureCsvReader::fail(const std::string& problem) const {
  throw ScenarioError(SourceLocation{file_, line_, 0}, kAzureKeyPath, problem);
}

double AzureCsvReader::number(std::string_view field, std::string_view column) const {
  double value = 0;
  const char* end = field.data() + field.size();
  const auto [stop, error] = std::from_chars(field.data(), end, value);
  if (field.empty() || error != std::errc{} || stop != end || !std::isfinite(value) || value < 0) {
    fail(fmt::format("{}: expected a non-negative number, got {}", column, quote_input(field)));
  }
  return value;
}

std::uint32_t AzureCsvReader::count(std::string_view field, std::string_view column) const {
  std::uint32_t value = 0;
  const char* end = field.data() + field.size();
  const auto [stop, error] = std::from_chars(field.data(), end, value);
  if (field.empty() || error != std::errc{} || stop != end) {
    fail(fmt::format("{}: expected a count (a non-negative integer below 2^32), got {}", column, quote_input(field)));
  }
  return value;
}

void AzureCsvReader::expect_columns(std::span<const std::string_view> fields, std::size_t columns) const {
  if (fields.size() != columns) fail(fmt::format("expected {} columns, got {}", columns, fields.size()));
}

std::vector<std::uint32_t> choose_functions(std::span<const std::uint64_t> counts, std::span<const std::string> hashes,
                                            const AzureSelection& selection) {
  std::vector<std::uint32_t> chosen;
  switch (selection.choice) {
    case AzureFunctionChoice::all:
      for (std::uint32_t f = 0; f < counts.size(); ++f) {
        if (counts[f] > 0) chosen.push_back(f);
      }
      break;
    case AzureFunctionChoice::top: {
      std::vector<std::uint32_t> order(counts.size());
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return counts[a] > counts[b]; });
      for (std::uint32_t f : order) {
        if (chosen.size() == selection.count || counts[f] == 0) break;
        chosen.push_back(f);
      }
      break;
    }
    case AzureFunctionChoice::sample: {
      std::vector<std::uint32_t> pool;
      for (std::uint32_t f = 0; f < counts.size(); ++f) {
        if (counts[f] > 0) pool.push_back(f);
      }
      // A partial Fisher-Yates shuffle: the first `count` places hold the sample.
      Rng rng(selection.seed);
      const std::size_t wanted = std::min<std::size_t>(selection.count, pool.size());
      for (std::size_t i = 0; i < wanted; ++i) {
        std::swap(pool[i], pool[i + rng.uniform_index(pool.size() - i)]);
      }
      chosen.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(wanted));
      break;
    }
    case AzureFunctionChoice::listed: {
      const std::unordered_set<std::string_view> listed(selection.hashes.begin(), selection.hashes.end());
      for (std::uint32_t f = 0; f < hashes.size(); ++f) {
        if (listed.contains(hashes[f])) chosen.push_back(f);
      }
      break;
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<std::string> unknown_hashes(std::span<const std::string> hashes, const AzureSelection& selection) {
  const std::unordered_set<std::string_view> known(hashes.begin(), hashes.end());
  std::vector<std::string> unknown;
  for (const std::string& hash : selection.hashes) {
    if (!known.contains(hash)) unknown.push_back(hash);
  }
  return unknown;
}

}  // namespace fogsched
