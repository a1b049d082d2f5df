// The command line's run display: the progress bar's text and the time left.
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_control.h"

namespace fogsched::cli {
namespace {

using std::chrono::duration;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(ProgressText, ShowsTheShareDoneAndTheTimeLeftAtThePaceSoFar) {
  const std::string quarter = format_progress(0.25, duration<double>(60));
  EXPECT_THAT(quarter, StartsWith("[##########..............................]  25 %"));
  EXPECT_THAT(quarter, EndsWith("  ETA 3.0 min"));  // 60 s for a quarter: 180 s to go
  EXPECT_THAT(format_progress(0.5, duration<double>(3600)), EndsWith("  ETA 60 min"));
  EXPECT_THAT(format_progress(0.001, duration<double>(3600)), EndsWith("ETA 42 days"));
}

TEST(ProgressText, NoTimeLeftUntilThereIsAPaceToGoByOrWhenDone) {
  EXPECT_THAT(format_progress(0.0005, duration<double>(30)), Not(HasSubstr("ETA")));  // too little done
  EXPECT_THAT(format_progress(0.5, duration<double>(0.2)), Not(HasSubstr("ETA")));    // under a second
  EXPECT_EQ(format_progress(1.0, duration<double>(30)), "[########################################] 100 %");
  EXPECT_EQ(format_progress(1.7, duration<double>(30)), format_progress(1.0, duration<double>(30)));
}

}  // namespace
}  // namespace fogsched::cli
