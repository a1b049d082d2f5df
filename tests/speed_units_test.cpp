// Speeds with units: the accepted forms and the refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "fogsched/core/units.h"

namespace fogsched {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_speed(text);
  } catch (const UnitError& error) {
    return error.what();
  }
  return "";
}

TEST(ParseSpeed, MetresPerSecond) {
  EXPECT_DOUBLE_EQ(parse_speed("13.9m/s"), 13.9);
  EXPECT_DOUBLE_EQ(parse_speed(" 10 m/s "), 10.0);
}

TEST(ParseSpeed, KilometresPerHour) {
  EXPECT_DOUBLE_EQ(parse_speed("36km/h"), 10.0);
  EXPECT_DOUBLE_EQ(parse_speed("50km/h"), 50.0 / 3.6);
}

TEST(ParseSpeed, PlainZeroNeedsNoUnit) { EXPECT_EQ(parse_speed("0"), 0.0); }

TEST(ParseSpeed, RefusesMissingUnknownAndNegative) {
  EXPECT_THAT(error_of("50"), HasSubstr("missing unit"));
  EXPECT_THAT(error_of("50mph"), HasSubstr("unknown unit 'mph'"));
  EXPECT_THAT(error_of("50km"), HasSubstr("unknown unit 'km'"));
  EXPECT_THAT(error_of("-3m/s"), HasSubstr("negative speed"));
  EXPECT_THAT(error_of("fast"), HasSubstr("expected a speed such as '50km/h'"));
}

}  // namespace
}  // namespace fogsched
