// Quantities with units: every accepted form, every refusal and its message.
#include "fogsched/core/units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

namespace fogsched {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::StartsWith;

// The message of the UnitError `parse` throws for `text`, or "" when it does not throw.
template <typename Parse>
std::string error_of(Parse parse, const std::string& text) {
  try {
    parse(text);
  } catch (const UnitError& error) {
    return error.what();
  }
  return "";
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(parse_duration("20ns"), nanoseconds{20});
  EXPECT_EQ(parse_duration("100us"), microseconds{100});
  EXPECT_EQ(parse_duration("250ms"), milliseconds{250});
  EXPECT_EQ(parse_duration("3s"), seconds{3});
  EXPECT_EQ(parse_duration("5min"), minutes{5});
  EXPECT_EQ(parse_duration("1h"), hours{1});
  EXPECT_EQ(parse_duration("2d"), hours{48});
}

TEST(ParseDuration, DecimalsLandOnTheExactNanosecond) {
  EXPECT_EQ(parse_duration("1.5s"), milliseconds{1500});
  EXPECT_EQ(parse_duration("0.1s"), milliseconds{100});
  EXPECT_EQ(parse_duration("1.000000001s"), nanoseconds{1'000'000'001});
  EXPECT_EQ(parse_duration(".5ms"), microseconds{500});
  EXPECT_EQ(parse_duration("1e3ms"), seconds{1});
  EXPECT_EQ(parse_duration("0.25h"), minutes{15});
}

TEST(ParseDuration, SignsAndSpaces) {
  EXPECT_EQ(parse_duration("  250 ms "), milliseconds{250});
  EXPECT_EQ(parse_duration("+2s"), seconds{2});
  EXPECT_EQ(parse_duration("-2s"), seconds{-2});
}

TEST(ParseDuration, PlainZeroNeedsNoUnit) {
  EXPECT_EQ(parse_duration("0"), nanoseconds{0});
  EXPECT_EQ(parse_duration("0.0"), nanoseconds{0});
  EXPECT_EQ(parse_duration("0s"), nanoseconds{0});
}

TEST(ParseDuration, BareNumberAsksForAUnit) {
  EXPECT_EQ(error_of(parse_duration, "5"), "missing unit in '5' (expected ns, us, ms, s, min, h, d; e.g. '250ms')");
}

TEST(ParseDuration, UnknownUnitListsTheKnownOnes) {
  EXPECT_EQ(error_of(parse_duration, "5sec"), "unknown unit 'sec' in '5sec' (expected ns, us, ms, s, min, h, d)");
  EXPECT_EQ(error_of(parse_duration, "5 S"), "unknown unit 'S' in '5 S' (expected ns, us, ms, s, min, h, d)");
}

TEST(ParseDuration, TextThatIsNoNumber) {
  EXPECT_EQ(error_of(parse_duration, "fast"), "expected a duration such as '250ms', got 'fast'");
  EXPECT_EQ(error_of(parse_duration, ""), "expected a duration such as '250ms', got ''");
  EXPECT_EQ(error_of(parse_duration, "--5s"), "expected a duration such as '250ms', got '--5s'");
  EXPECT_EQ(error_of(parse_duration, "ms"), "expected a duration such as '250ms', got 'ms'");
}

TEST(ParseDuration, NonFiniteAndOverflow) {
  EXPECT_EQ(error_of(parse_duration, "infs"), "not a finite duration: 'infs'");
  EXPECT_EQ(error_of(parse_duration, "nan s"), "not a finite duration: 'nan s'");
  EXPECT_EQ(error_of(parse_duration, "1e400s"), "duration out of range: '1e400s'");
  // 2^63 ns is about 292 years.
  EXPECT_EQ(error_of(parse_duration, "300000d"), "duration out of range: '300000d'");
  EXPECT_EQ(parse_duration("100000d"), hours{2'400'000});
}

TEST(FormatDuration, ShortestTextThatParsesBack) {
  EXPECT_EQ(format_duration(milliseconds{250}), "250ms");
  EXPECT_EQ(format_duration(milliseconds{1500}), "1.5s");
  EXPECT_EQ(format_duration(hours{1}), "1h");
  EXPECT_EQ(format_duration(minutes{5}), "5min");  // ties ("300s") go to the larger unit
  EXPECT_EQ(format_duration(seconds{60}), "60s");  // shorter than "1min"
  EXPECT_EQ(format_duration(seconds{90}), "90s");
  EXPECT_EQ(format_duration(hours{48}), "2d");
  EXPECT_EQ(format_duration(nanoseconds{1}), "1ns");
  EXPECT_EQ(format_duration(nanoseconds{1'000'000'001}), "1000000001ns");  // as long as "1.000000001s"
  EXPECT_EQ(format_duration(microseconds{2'500'010}), "2.50001s");
  EXPECT_EQ(format_duration(nanoseconds{0}), "0");
  EXPECT_EQ(format_duration(seconds{-2}), "-2s");
}

TEST(FormatDuration, RoundTripsAcrossTheRange) {
  const std::int64_t values[] = {1,
                                 7,
                                 999,
                                 1'000,
                                 123'456'789,
                                 60'000'000'000,
                                 86'399'999'999'999,
                                 3'600'000'000'001,
                                 -42'000,
                                 std::numeric_limits<std::int64_t>::max() - 1,
                                 std::numeric_limits<std::int64_t>::min() + 1};
  for (const std::int64_t ns : values) {
    const Duration d{ns};
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

TEST(ParseRate, EveryUnit) {
  EXPECT_DOUBLE_EQ(parse_rate("3.2/s"), 3.2);
  EXPECT_DOUBLE_EQ(parse_rate("12/min"), 0.2);
  EXPECT_DOUBLE_EQ(parse_rate("90/h"), 0.025);
  EXPECT_DOUBLE_EQ(parse_rate("0"), 0.0);
  EXPECT_DOUBLE_EQ(parse_rate("-1/s"), -1.0);  // sign checks belong to the caller
}

TEST(ParseRate, Errors) {
  EXPECT_EQ(error_of(parse_rate, "3.2"), "missing unit in '3.2' (expected /s, /min, /h; e.g. '3.2/s')");
  EXPECT_EQ(error_of(parse_rate, "3/sec"), "unknown unit '/sec' in '3/sec' (expected /s, /min, /h)");
  EXPECT_EQ(error_of(parse_rate, "often"), "expected a rate such as '3.2/s', got 'often'");
  EXPECT_EQ(error_of(parse_rate, "1e308/min"), "");
  EXPECT_EQ(error_of(parse_rate, "nan/s"), "not a finite rate: 'nan/s'");
}

TEST(ParseBytes, SiAndBinaryUnits) {
  EXPECT_EQ(parse_bytes("200B"), 200u);
  EXPECT_EQ(parse_bytes("150KB"), 150'000u);
  EXPECT_EQ(parse_bytes("1.5MB"), 1'500'000u);
  EXPECT_EQ(parse_bytes("2GB"), 2'000'000'000u);
  EXPECT_EQ(parse_bytes("64KiB"), 65'536u);
  EXPECT_EQ(parse_bytes("1MiB"), 1'048'576u);
  EXPECT_EQ(parse_bytes("1GiB"), 1'073'741'824u);
  EXPECT_EQ(parse_bytes("0"), 0u);
}

TEST(ParseBytes, Errors) {
  EXPECT_EQ(error_of(parse_bytes, "200"),
            "missing unit in '200' (expected B, KB, MB, GB, KiB, MiB, GiB; e.g. '150KB')");
  EXPECT_EQ(error_of(parse_bytes, "1kb"), "unknown unit 'kb' in '1kb' (expected B, KB, MB, GB, KiB, MiB, GiB)");
  EXPECT_EQ(error_of(parse_bytes, "-5KB"), "negative size: '-5KB'");
  EXPECT_EQ(error_of(parse_bytes, "1.5B"), "not a whole number of bytes: '1.5B'");
  EXPECT_EQ(error_of(parse_bytes, "1e20GB"), "size out of range: '1e20GB'");
}

TEST(ParseBandwidth, EveryUnit) {
  EXPECT_DOUBLE_EQ(parse_bandwidth("500bps"), 500.0);
  EXPECT_DOUBLE_EQ(parse_bandwidth("60kbps"), 60e3);
  EXPECT_DOUBLE_EQ(parse_bandwidth("100Mbps"), 100e6);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1Gbps"), 1e9);
}

TEST(ParseBandwidth, Errors) {
  EXPECT_EQ(error_of(parse_bandwidth, "100Mbs"), "unknown unit 'Mbs' in '100Mbs' (expected bps, kbps, Mbps, Gbps)");
  // Bytes per second are not bits per second.
  EXPECT_EQ(error_of(parse_bandwidth, "10MBps"), "unknown unit 'MBps' in '10MBps' (expected bps, kbps, Mbps, Gbps)");
  EXPECT_EQ(error_of(parse_bandwidth, "100"), "missing unit in '100' (expected bps, kbps, Mbps, Gbps; e.g. '100Mbps')");
}

TEST(ParseDistance, MetresAndKilometres) {
  EXPECT_DOUBLE_EQ(parse_distance("200m"), 200.0);
  EXPECT_DOUBLE_EQ(parse_distance("1.5km"), 1500.0);
  EXPECT_DOUBLE_EQ(parse_distance("-30m"), -30.0);
  EXPECT_EQ(error_of(parse_distance, "3mi"), "unknown unit 'mi' in '3mi' (expected m, km)");
  EXPECT_EQ(error_of(parse_distance, "150"), "missing unit in '150' (expected m, km; e.g. '200m')");
}

TEST(ParseNumber, PlainDecimalsOnly) {
  EXPECT_DOUBLE_EQ(parse_number("0.8"), 0.8);
  EXPECT_DOUBLE_EQ(parse_number("3"), 3.0);
  EXPECT_DOUBLE_EQ(parse_number("-1e3"), -1000.0);
  EXPECT_DOUBLE_EQ(parse_number(" 2 "), 2.0);
  EXPECT_EQ(error_of(parse_number, "2x"), "expected a number, got '2x'");
  EXPECT_EQ(error_of(parse_number, "0x10"), "expected a number, got '0x10'");
  EXPECT_EQ(error_of(parse_number, "four"), "expected a number, got 'four'");
  EXPECT_EQ(error_of(parse_number, "inf"), "not a finite number: 'inf'");
  EXPECT_EQ(error_of(parse_number, "-nan"), "not a finite number: '-nan'");
  EXPECT_THAT(error_of(parse_number, "1e999"), StartsWith("number out of range"));
}

}  // namespace
}  // namespace fogsched
