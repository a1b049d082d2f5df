// Arrival traces: the sample file, the format's corners, every error with its
// FILE:LINE message, the check against a scenario, and exact replay.
#include "fogsched/core/trace_csv.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/sim/arrival_processes.h"

namespace fogsched {
namespace {

using namespace std::chrono_literals;

const std::string kSamplePath = std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/data/sample-trace.csv";
constexpr std::uint32_t kSampleRows = 320;
constexpr std::uint32_t kSampleHeaderLine = 7;  // after six comment lines

// Row k of the sample trace, by the rule its comment states.
struct SampleRow {
  Duration at;
  std::uint32_t camera;
  std::optional<std::uint64_t> payload_bytes;
};

SampleRow sample_row(std::uint32_t k) {
  SampleRow row{250ms * (k / 2), (3 * k + k / 8) % 8, std::nullopt};
  if (k % 5 == 0) row.payload_bytes = (100 + 10 * (k % 7)) * 1000;
  return row;
}

// A file with `content` in the temporary directory, named after the running test
// (ctest may run tests in parallel processes); its path.
std::string write_file(const std::string& name, const std::string& content) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path =
      ::testing::TempDir() + "trace_csv_test_" + test->test_suite_name() + "_" + test->name() + "_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// The message read_trace_csv throws for a file holding `content`, or "" if none.
std::string error_for(const std::string& content, std::string* path_out = nullptr) {
  const std::string path = write_file("case.csv", content);
  if (path_out) *path_out = path;
  try {
    read_trace_csv(path);
  } catch (const ScenarioError& error) {
    return error.what();
  }
  return "";
}

// Error for `content` with the file's path replaced by "P", so messages read as written.
std::string error_at_p(const std::string& content) {
  std::string path;
  std::string message = error_for(content, &path);
  if (!message.starts_with(path)) return message;
  return std::string("P").append(message, path.size(), std::string::npos);
}

constexpr const char* kHeader = "time,camera,function,payload_bytes\n";

TEST(TraceCsv, SampleFileFollowsItsRule) {
  const Trace trace = read_trace_csv(kSamplePath);
  EXPECT_EQ(trace.file, kSamplePath);
  ASSERT_EQ(trace.functions, std::vector<std::string>{"plate-recognition"});
  ASSERT_EQ(trace.arrivals.size(), kSampleRows);
  for (std::uint32_t k = 0; k < kSampleRows; ++k) {
    const TraceArrival& arrival = trace.arrivals[k];
    const SampleRow expected = sample_row(k);
    SCOPED_TRACE("row " + std::to_string(k));
    EXPECT_EQ(arrival.at, expected.at);
    EXPECT_EQ(arrival.camera, expected.camera);
    EXPECT_EQ(arrival.function, 0u);
    EXPECT_EQ(arrival.payload_bytes, expected.payload_bytes);
    EXPECT_EQ(arrival.line, kSampleHeaderLine + 1 + k);
  }
}

TEST(TraceCsv, WriteThenReadGivesTheSameArrivals) {
  const Trace original = read_trace_csv(kSamplePath);
  std::ostringstream written;
  write_trace_csv(written, original);
  std::istringstream in(written.str());
  const Trace reread = parse_trace_csv(in, "written.csv");

  EXPECT_EQ(reread.functions, original.functions);
  ASSERT_EQ(reread.arrivals.size(), original.arrivals.size());
  for (std::size_t i = 0; i < original.arrivals.size(); ++i) {
    TraceArrival expected = original.arrivals[i];
    expected.line = static_cast<std::uint32_t>(i + 2);  // the written file has only a header before
    EXPECT_EQ(reread.arrivals[i], expected) << "row " << i;
  }
  std::ostringstream rewritten;
  write_trace_csv(rewritten, reread);
  EXPECT_EQ(rewritten.str(), written.str());
}

TEST(TraceCsv, WithoutPayloadColumnEveryPayloadIsTheDefault) {
  std::istringstream in("time,camera,function\n0,2,f\n1.5s,0,g\n1500ms,2,f\n");
  const Trace trace = parse_trace_csv(in, "t.csv");
  EXPECT_EQ(trace.functions, (std::vector<std::string>{"f", "g"}));
  ASSERT_EQ(trace.arrivals.size(), 3u);
  EXPECT_EQ(trace.arrivals[1].at, 1500ms);
  EXPECT_EQ(trace.arrivals[2].at, 1500ms);  // equal times are in order
  EXPECT_EQ(trace.arrivals[2].function, 0u);
  for (const TraceArrival& arrival : trace.arrivals) EXPECT_FALSE(arrival.payload_bytes.has_value());

  std::ostringstream written;
  write_trace_csv(written, trace);
  EXPECT_EQ(written.str(), "time,camera,function\n0,2,f\n1.5s,0,g\n1.5s,2,f\n");
}

TEST(TraceCsv, CommentsBlankLinesSpacesCrlfAndByteOrderMark) {
  std::istringstream in(
      "\xEF\xBB\xBF# recorded at junction 4\r\n"
      "\r\n"
      " time , camera , function , payload_bytes \r\n"
      "  # a comment between rows\r\n"
      " 2min , 12 , plate-recognition , 64KiB \r\n"
      "\r\n"
      "2min,3,plate-recognition,\r\n");
  const Trace trace = parse_trace_csv(in, "t.csv");
  ASSERT_EQ(trace.arrivals.size(), 2u);
  EXPECT_EQ(trace.arrivals[0].at, 2min);
  EXPECT_EQ(trace.arrivals[0].camera, 12u);
  EXPECT_EQ(trace.function_name(trace.arrivals[0]), "plate-recognition");
  EXPECT_EQ(trace.arrivals[0].payload_bytes, 64u * 1024);
  EXPECT_EQ(trace.arrivals[0].line, 5u);
  EXPECT_EQ(trace.arrivals[1].line, 7u);
  EXPECT_FALSE(trace.arrivals[1].payload_bytes.has_value());
  EXPECT_EQ(trace.where(trace.arrivals[1]).to_string(), "t.csv:7");
}

TEST(TraceCsvErrors, MissingFileAndDirectory) {
  const std::string missing = ::testing::TempDir() + "trace_csv_test_no_such_file.csv";
  std::filesystem::remove(missing);
  try {
    read_trace_csv(missing);
    FAIL() << "no error";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(std::string(error.what()), missing + ": trace: cannot read the trace: no such file");
    EXPECT_EQ(error.key_path(), "trace");
    EXPECT_EQ(error.where().file, missing);
    EXPECT_EQ(error.where().line, 0);
  }
  const std::string directory = ::testing::TempDir() + "trace_csv_test_dir";
  std::filesystem::create_directories(directory);
  try {
    read_trace_csv(directory);
    FAIL() << "no error";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(std::string(error.what()), directory + ": trace: cannot read the trace: it is a directory");
  }
}

TEST(TraceCsvErrors, HeaderProblems) {
  const std::string expected_headers = "(expected 'time,camera,function' or 'time,camera,function,payload_bytes')";
  EXPECT_EQ(error_at_p(""), "P: trace: the file holds no header " + expected_headers);
  EXPECT_EQ(error_at_p("# only a comment\n\n"), "P: trace: the file holds no header " + expected_headers);
  EXPECT_EQ(error_at_p("# about\ntime,cam,function\n0,1,f\n"),
            "P:2: trace: bad header 'time,cam,function' " + expected_headers);
  EXPECT_EQ(error_at_p("Time,camera,function\n"), "P:1: trace: bad header 'Time,camera,function' " + expected_headers);
  EXPECT_EQ(error_at_p("0,1,f\n"), "P:1: trace: bad header '0,1,f' " + expected_headers);
  EXPECT_EQ(error_at_p("time,camera,function,payload_bytes,extra\n"),
            "P:1: trace: bad header 'time,camera,function,payload_bytes,extra' " + expected_headers);
}

TEST(TraceCsvErrors, EmptyTrace) {
  EXPECT_EQ(error_at_p("# nothing recorded\ntime,camera,function\n\n# still nothing\n"),
            "P:2: trace: no arrivals after the header");
}

TEST(TraceCsvErrors, WrongColumnCount) {
  EXPECT_EQ(error_at_p(std::string(kHeader) + "0,1,f,\n1s,2,f\n"),
            "P:3: trace: expected 4 columns (time,camera,function,payload_bytes), got 3");
  EXPECT_EQ(error_at_p("time,camera,function\n0,1,f,150KB\n"),
            "P:2: trace: expected 3 columns (time,camera,function), got 4");
  EXPECT_EQ(error_at_p("time,camera,function\n0,1\n"), "P:2: trace: expected 3 columns (time,camera,function), got 2");
}

TEST(TraceCsvErrors, BadTime) {
  const std::string head = std::string(kHeader) + "0,0,f,\n";
  EXPECT_EQ(error_at_p(head + "12.5,1,f,\n"),
            "P:3: trace: time: missing unit in '12.5' (expected ns, us, ms, s, min, h, d; e.g. '250ms')");
  EXPECT_EQ(error_at_p(head + "soon,1,f,\n"), "P:3: trace: time: expected a duration such as '250ms', got 'soon'");
  EXPECT_EQ(error_at_p(head + "3 sec,1,f,\n"),
            "P:3: trace: time: unknown unit 'sec' in '3 sec' (expected ns, us, ms, s, min, h, d)");
  EXPECT_EQ(error_at_p(head + ",1,f,\n"), "P:3: trace: time: expected a duration such as '250ms', got ''");
  EXPECT_EQ(error_at_p(std::string(kHeader) + "-1s,1,f,\n"), "P:2: trace: time: must not be negative, got '-1s'");
}

TEST(TraceCsvErrors, TimesGoingBackwardsNameBothLines) {
  EXPECT_EQ(error_at_p(std::string(kHeader) + "1s,0,f,\n1500ms,1,f,\n# a comment\n1s,2,f,\n"),
            "P:5: trace: time 1s is earlier than the previous row's 1500ms (line 3); rows must be in "
            "non-decreasing time order");
}

TEST(TraceCsvErrors, BadCamera) {
  const std::string head = std::string(kHeader);
  EXPECT_EQ(error_at_p(head + "0,north,f,\n"),
            "P:2: trace: camera: expected a camera index (a non-negative integer), got 'north'");
  EXPECT_EQ(error_at_p(head + "0,-1,f,\n"),
            "P:2: trace: camera: expected a camera index (a non-negative integer), got '-1'");
  EXPECT_EQ(error_at_p(head + "0,1.5,f,\n"),
            "P:2: trace: camera: expected a camera index (a non-negative integer), got '1.5'");
  EXPECT_EQ(error_at_p(head + "0,,f,\n"),
            "P:2: trace: camera: expected a camera index (a non-negative integer), got ''");
  EXPECT_EQ(error_at_p(head + "0,4294967296,f,\n"),
            "P:2: trace: camera: expected a camera index (a non-negative integer below 2^32), got '4294967296'");
}

TEST(TraceCsvErrors, MissingFunction) {
  EXPECT_EQ(error_at_p(std::string(kHeader) + "0,1, ,\n"), "P:2: trace: function: missing function name");
}

TEST(TraceCsvErrors, BadPayload) {
  const std::string head = std::string(kHeader);
  EXPECT_EQ(error_at_p(head + "0,1,f,150\n"),
            "P:2: trace: payload_bytes: missing unit in '150' (expected B, KB, MB, GB, KiB, MiB, GiB; e.g. '150KB')");
  EXPECT_EQ(error_at_p(head + "0,1,f,150XB\n"),
            "P:2: trace: payload_bytes: unknown unit 'XB' in '150XB' (expected B, KB, MB, GB, KiB, MiB, GiB)");
  EXPECT_EQ(error_at_p(head + "0,1,f,-5KB\n"), "P:2: trace: payload_bytes: negative size: '-5KB'");
  EXPECT_EQ(error_at_p(head + "0,1,f,1.5B\n"), "P:2: trace: payload_bytes: not a whole number of bytes: '1.5B'");
}

Scenario scenario_with(std::uint32_t cameras, const std::vector<std::string>& functions) {
  Scenario scenario;
  scenario.cameras.count = cameras;
  for (const std::string& name : functions) {
    FunctionSpec function;
    function.name = name;
    scenario.functions.push_back(function);
  }
  return scenario;
}

TEST(ResolveTrace, MapsTraceFunctionsToScenarioFunctions) {
  std::istringstream in("time,camera,function\n0,7,count\n1s,0,plate\n2s,3,count\n");
  const Trace trace = parse_trace_csv(in, "t.csv");
  EXPECT_EQ(resolve_trace(trace, scenario_with(8, {"plate", "unused", "count"})), (std::vector<std::uint32_t>{2, 0}));
  EXPECT_EQ(resolve_trace(read_trace_csv(kSamplePath), scenario_with(8, {"plate-recognition"})),
            std::vector<std::uint32_t>{0});
}

std::string resolve_error(const std::string& content, const Scenario& scenario) {
  std::istringstream in(content);
  const Trace trace = parse_trace_csv(in, "t.csv");
  try {
    resolve_trace(trace, scenario);
  } catch (const ScenarioError& error) {
    EXPECT_EQ(error.key_path(), "trace");
    return error.what();
  }
  return "";
}

TEST(ResolveTrace, NamesTheFirstBadRow) {
  const std::string content = "time,camera,function\n0,7,plate\n# gap\n1s,8,plate\n2s,1,ocr\n";
  EXPECT_EQ(resolve_error(content, scenario_with(8, {"plate", "count"})),
            "t.csv:4: trace: camera 8 does not exist (the scenario has 8 cameras, 0 to 7)");
  EXPECT_EQ(resolve_error(content, scenario_with(9, {"plate", "count"})),
            "t.csv:5: trace: unknown function 'ocr' (the scenario defines: plate, count)");
}

// Replay through the simulator's cursor gives every row, in order, exactly.
TEST(TraceReplay, ReproducesTheSampleTraceExactly) {
  const Trace trace = read_trace_csv(kSamplePath);
  sim::TraceArrivals replay(trace);
  EXPECT_EQ(replay.remaining(), kSampleRows);
  for (std::uint32_t k = 0; k < kSampleRows; ++k) {
    SCOPED_TRACE("row " + std::to_string(k));
    const SampleRow expected = sample_row(k);
    ASSERT_FALSE(replay.exhausted());
    EXPECT_EQ(replay.next_time(), time_at(expected.at));
    ASSERT_NE(replay.peek(), nullptr);
    const TraceArrival& arrival = replay.take();
    EXPECT_EQ(arrival.at, expected.at);
    EXPECT_EQ(arrival.camera, expected.camera);
    EXPECT_EQ(trace.function_name(arrival), "plate-recognition");
    EXPECT_EQ(arrival.payload_bytes, expected.payload_bytes);
  }
  EXPECT_TRUE(replay.exhausted());
  EXPECT_EQ(replay.remaining(), 0u);
  EXPECT_EQ(replay.peek(), nullptr);
  EXPECT_EQ(replay.next_time(), Time::max());
}

// Two cursors over one trace (as two replications would hold) do not disturb each other.
TEST(TraceReplay, CursorsAreIndependent) {
  const Trace trace = read_trace_csv(kSamplePath);
  sim::TraceArrivals first(trace);
  sim::TraceArrivals second(trace);
  first.take();
  first.take();
  EXPECT_EQ(second.remaining(), kSampleRows);
  EXPECT_EQ(&second.take(), &trace.arrivals[0]);
  EXPECT_EQ(&first.take(), &trace.arrivals[2]);
}

}  // namespace
}  // namespace fogsched
