// Quantities with units: "250ms", "3.2/s", "150KB", "100Mbps", "1.5km".
//
// Every parser splits the text into a decimal number and a unit suffix, looks the
// suffix up in a small table and scales. Durations are scaled in exact integer
// arithmetic so that "0.1s" or "9223372036.854775807s" land on the exact nanosecond.
#include "fogsched/core/units.h"
#include "fogsched/core/config_reader.h"  // trim
#include "fogsched/core/quote_input.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fogsched {
namespace {

template <typename Factor>
struct Unit {
  std::string_view suffix;
  Factor factor;  // value of one unit in the base unit (ns, /s, B, bps, m)
};

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

constexpr std::array<Unit<std::int64_t>, 7> kDurationUnits{{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", kNanosPerSecond},
    {"min", 60 * kNanosPerSecond},
    {"h", 3'600 * kNanosPerSecond},
    {"d", 86'400 * kNanosPerSecond},
}};
constexpr std::array<Unit<double>, 3> kRateUnits{{{"/s", 1.0}, {"/min", 1.0 / 60}, {"/h", 1.0 / 3600}}};
constexpr std::array<Unit<double>, 7> kByteUnits{{
    {"B", 1.0},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"KiB", 1024.0},
    {"MiB", 1024.0 * 1024},
    {"GiB", 1024.0 * 1024 * 1024},
}};
constexpr std::array<Unit<double>, 4> kBandwidthUnits{{{"bps", 1.0}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}}};
constexpr std::array<Unit<double>, 2> kDistanceUnits{{{"m", 1.0}, {"km", 1e3}}};
constexpr std::array<Unit<double>, 2> kSpeedUnits{{{"m/s", 1.0}, {"km/h", 1.0 / 3.6}}};

// What a quantity is called in messages, with an example of the right form.
struct Kind {
  std::string_view noun;     // "duration"
  std::string_view example;  // "250ms"
};

template <typename Factor, std::size_t N>
std::string unit_list(const std::array<Unit<Factor>, N>& units) {
  std::string list;
  for (const auto& unit : units) {
    if (!list.empty()) list += ", ";
    list += unit.suffix;
  }
  return list;
}

// The decimal number at the start of a text and the unit after it (spaces trimmed).
template <typename Float>
struct Split {
  Float value{};
  std::string_view number;  // the number as written, sign included
  std::string_view unit;
};

// Parses the leading decimal number. std::from_chars also reads "inf" and "nan"; those
// are refused with their own message, as are values too large for the type.
template <typename Float>
std::optional<Split<Float>> split_number(std::string_view text, const Kind& kind) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  Float magnitude{};
  const char* begin = digits.data();
  const char* end = digits.data() + digits.size();
  const auto [stop, error] = std::from_chars(begin, end, magnitude, std::chars_format::general);
  if (error == std::errc::result_out_of_range) {
    throw UnitError(fmt::format("{} out of range: {}", kind.noun, quote_input(text)));
  }
  // A second sign ("--5", "+-5") is not a number either.
  if (error != std::errc{} || digits.empty() || digits.front() == '-' || digits.front() == '+') return std::nullopt;
  if (!std::isfinite(magnitude)) throw UnitError(fmt::format("not a finite {}: {}", kind.noun, quote_input(text)));
  const auto consumed = static_cast<std::size_t>(stop - begin);
  Split<Float> split;
  split.value = negative ? -magnitude : magnitude;
  split.number = text.substr(0, consumed + (text.size() - digits.size()));
  split.unit = trim(digits.substr(consumed));
  return split;
}

// Number and unit of a quantity; a bare "0" is allowed and has no unit.
template <typename Float, typename Factor, std::size_t N>
std::pair<Float, Factor> split_quantity(std::string_view raw, const std::array<Unit<Factor>, N>& units,
                                        const Kind& kind) {
  const std::string_view text = trim(raw);
  const auto split = split_number<Float>(text, kind);
  if (!split) {
    throw UnitError(
        fmt::format("expected a {} such as {}, got {}", kind.noun, quote_input(kind.example), quote_input(raw)));
  }
  if (split->unit.empty()) {
    if (split->value == 0) return {Float{0}, units.front().factor};
    throw UnitError(fmt::format("missing unit in {} (expected {}; e.g. {})", quote_input(text), unit_list(units),
                                quote_input(kind.example)));
  }
  for (const auto& unit : units) {
    if (unit.suffix == split->unit) return {split->value, unit.factor};
  }
  throw UnitError(fmt::format("unknown unit {} in {} (expected {})", quote_input(split->unit), quote_input(text),
                              unit_list(units)));
}

template <typename Factor, std::size_t N>
double parse_scaled(std::string_view text, const std::array<Unit<Factor>, N>& units, const Kind& kind) {
  const auto [value, factor] = split_quantity<double>(text, units, kind);
  const double scaled = value * static_cast<double>(factor);
  if (!std::isfinite(scaled)) throw UnitError(fmt::format("{} out of range: {}", kind.noun, quote_input(trim(text))));
  return scaled;
}

// The decimal `number` (already known to be well formed and finite) times `factor`,
// rounded to the nearest integer, computed exactly so that every text
// format_duration() writes parses back to the same nanosecond. Empty when the result
// does not fit in int64.
std::optional<std::int64_t> exact_nanoseconds(std::string_view number, std::int64_t factor) {
  __extension__ using Wide = unsigned __int128;  // holds mantissa x factor (< 1e19 x 1e14)
  constexpr int kMaxDigits = 19;                 // significant digits kept; fits uint64
  bool negative = false;
  if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
    negative = number.front() == '-';
    number.remove_prefix(1);
  }
  std::uint64_t mantissa = 0;
  int significant = 0;
  long exponent = 0;  // value = mantissa x 10^exponent
  bool fraction = false;
  std::size_t i = 0;
  for (; i < number.size(); ++i) {
    const char c = number[i];
    if (c == '.') {
      fraction = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (significant == 0 && c == '0') {
      if (fraction) --exponent;
      continue;
    }
    if (significant < kMaxDigits) {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      ++significant;
      if (fraction) --exponent;
    } else if (!fraction) {
      ++exponent;  // a dropped integer digit still scales the value
    }
  }
  if (i < number.size()) {  // 'e' or 'E' and the exponent
    long written = 0;
    bool exponent_negative = false;
    std::size_t j = i + 1;
    if (j < number.size() && (number[j] == '+' || number[j] == '-')) exponent_negative = number[j++] == '-';
    for (; j < number.size(); ++j) written = std::min(written * 10 + (number[j] - '0'), 100'000L);
    exponent += exponent_negative ? -written : written;
  }
  if (mantissa == 0) return 0;
  constexpr Wide kLimit = static_cast<Wide>(std::numeric_limits<std::int64_t>::max());
  Wide value = static_cast<Wide>(mantissa) * static_cast<Wide>(factor);
  if (exponent >= 0) {
    for (long k = 0; k < exponent; ++k) {
      value *= 10;
      if (value > kLimit) return std::nullopt;
    }
  } else if (exponent < -38) {
    value = 0;  // below half a nanosecond
  } else {
    Wide divisor = 1;
    for (long k = 0; k < -exponent; ++k) divisor *= 10;
    value = (value + divisor / 2) / divisor;  // half away from zero, applied to the magnitude
  }
  if (value > kLimit) return std::nullopt;
  const auto magnitude = static_cast<std::int64_t>(value);
  return negative ? -magnitude : magnitude;
}

// Exact decimal text of numerator / denominator when it terminates within a few
// digits; nothing otherwise (e.g. 1s in minutes).
std::optional<std::string> exact_decimal(std::uint64_t numerator, std::uint64_t denominator) {
  std::string text = std::to_string(numerator / denominator);
  std::uint64_t remainder = numerator % denominator;
  if (remainder == 0) return text;
  text += '.';
  // Denominators are at most 8.64e13, so remainder * 10 fits in 64 bits.
  for (int digit = 0; digit < 20 && remainder != 0; ++digit) {
    remainder *= 10;
    text += static_cast<char>('0' + remainder / denominator);
    remainder %= denominator;
  }
  if (remainder != 0) return std::nullopt;
  return text;
}

}  // namespace

Duration parse_duration(std::string_view text) {
  constexpr Kind kind{"duration", "250ms"};
  const std::string_view trimmed = trim(text);
  const auto split = split_number<double>(trimmed, kind);
  if (!split)
    throw UnitError(
        fmt::format("expected a duration such as {}, got {}", quote_input(kind.example), quote_input(text)));
  std::int64_t factor = 0;
  if (split->unit.empty()) {
    if (split->value != 0) {
      throw UnitError(fmt::format("missing unit in {} (expected {}; e.g. {})", quote_input(trimmed),
                                  unit_list(kDurationUnits), quote_input(kind.example)));
    }
    return Duration{0};
  }
  for (const auto& unit : kDurationUnits) {
    if (unit.suffix == split->unit) factor = unit.factor;
  }
  if (factor == 0) {
    throw UnitError(fmt::format("unknown unit {} in {} (expected {})", quote_input(split->unit), quote_input(trimmed),
                                unit_list(kDurationUnits)));
  }
  const auto nanos = exact_nanoseconds(split->number, factor);
  if (!nanos) throw UnitError(fmt::format("duration out of range: {}", quote_input(trimmed)));
  return Duration{*nanos};
}

double parse_rate(std::string_view text) { return parse_scaled(text, kRateUnits, Kind{"rate", "3.2/s"}); }

std::uint64_t parse_bytes(std::string_view text) {
  constexpr Kind kind{"size", "150KB"};
  const double bytes = parse_scaled(text, kByteUnits, kind);
  if (bytes < 0) throw UnitError(fmt::format("negative size: {}", quote_input(trim(text))));
  // 2^64 is exactly representable; anything at or above it does not fit.
  if (bytes >= 18446744073709551616.0) throw UnitError(fmt::format("size out of range: {}", quote_input(trim(text))));
  if (bytes != std::floor(bytes)) {
    throw UnitError(fmt::format("not a whole number of bytes: {}", quote_input(trim(text))));
  }
  return static_cast<std::uint64_t>(bytes);
}

double parse_bandwidth(std::string_view text) {
  return parse_scaled(text, kBandwidthUnits, Kind{"bandwidth", "100Mbps"});
}

double parse_distance(std::string_view text) { return parse_scaled(text, kDistanceUnits, Kind{"distance", "200m"}); }

double parse_speed(std::string_view text) {
  const double metres_per_second = parse_scaled(text, kSpeedUnits, Kind{"speed", "50km/h"});
  if (metres_per_second < 0) throw UnitError(fmt::format("negative speed: {}", quote_input(trim(text))));
  return metres_per_second;
}

double parse_number(std::string_view text) {
  const std::string_view trimmed = trim(text);
  const auto split = split_number<double>(trimmed, Kind{"number", "0.5"});
  if (!split || !split->unit.empty()) throw UnitError(fmt::format("expected a number, got {}", quote_input(text)));
  return split->value;
}

std::string format_duration(Duration d) {
  const std::int64_t count = d.count();
  if (count == 0) return "0";
  // The magnitude as unsigned, so Duration::min() has one too.
  const std::uint64_t magnitude =
      count < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  std::string best;
  bool best_whole = false;
  // Largest unit first, so that ties ("5min" and "300s") go to the larger unit.
  for (auto unit = kDurationUnits.rbegin(); unit != kDurationUnits.rend(); ++unit) {
    const auto digits = exact_decimal(magnitude, static_cast<std::uint64_t>(unit->factor));
    if (!digits) continue;
    std::string candidate = *digits;
    candidate += unit->suffix;
    // Among texts of equal length a whole number reads best ("250ms", not "0.25s").
    const bool whole = digits->find('.') == std::string::npos;
    if (best.empty() || candidate.size() < best.size() || (candidate.size() == best.size() && whole && !best_whole)) {
      best = std::move(candidate);
      best_whole = whole;
    }
  }
  return count < 0 ? "-" + best : best;
}

}  // namespace fogsched
