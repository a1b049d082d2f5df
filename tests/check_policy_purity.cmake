# Enforces DESIGN.md's one rule on policies/: a policy is pure decision logic over
# NodeContext. It may not see the simulator or live mode, read a clock, use a global
# or nondeterministic random source, start threads or do I/O; and the policies
# library may link nothing but core.
#
# Usage: cmake -DPOLICIES_DIR=<repo>/policies -P check_policy_purity.cmake
# Fails (FATAL_ERROR) listing every offence as FILE:LINE: rule: text.
#
# Before scanning, the rules are run over a built-in sample with one offence per
# rule and a clean remainder, so a broken rule fails the check instead of silently
# passing everything.
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED POLICIES_DIR OR NOT IS_DIRECTORY "${POLICIES_DIR}")
  message(FATAL_ERROR "policy purity: POLICIES_DIR must name the policies/ directory (got '${POLICIES_DIR}')")
endif()

# Each rule: a name, then a regular expression over one line of C++ with comments
# removed. Square brackets and semicolons in the text are masked first (CMake lists
# would split on them), so no pattern mentions them.
set(FORBIDDEN_RULES
  "sim or live header"        "#[ \t]*include[ \t]*[<\"]fogsched/(sim|live)/"
  "networking library"        "#[ \t]*include[ \t]*[<\"](boost/asio|httplib)"
  "<random> header"           "#[ \t]*include[ \t]*<random>"
  "thread or C time header"   "#[ \t]*include[ \t]*<(thread|future|ctime|time\\.h)>"
  "I/O header"                "#[ \t]*include[ \t]*<(fstream|iostream|cstdio|stdio\\.h)>"
  # Naming a real clock at all is flagged, so an alias cannot hide a ::now() call.
  "clock read"                "(steady_clock|system_clock|high_resolution_clock|utc_clock|file_clock|gettimeofday|clock_gettime)"
  "nondeterministic random"   "random_device"
  "global random generator"   "(^|[^A-Za-z0-9_.>])s?rand[ \t]*\\("
  "clock read"                "(^|[^A-Za-z0-9_.>])time[ \t]*\\("
  "environment read"          "getenv"
)
list(LENGTH FORBIDDEN_RULES rule_items)
math(EXPR last_rule "${rule_items} - 1")

# Appends "LABEL:LINE: rule: text" for each offending line of `content` to the list
# named by `out`.
function(scan_source label content out)
  set(found "${${out}}")
  string(REPLACE ";" "<semicolon>" content "${content}")
  string(REPLACE "[" "<lbracket>" content "${content}")
  string(REPLACE "]" "<rbracket>" content "${content}")
  string(REPLACE "\n" ";" lines "${content}")
  set(line_number 0)
  set(in_block_comment FALSE)
  foreach(line IN LISTS lines)
    math(EXPR line_number "${line_number} + 1")
    # Drop comments: a rule names what the code does, not what a comment says.
    set(code "")
    set(rest "${line}")
    while(NOT rest STREQUAL "")
      if(in_block_comment)
        string(FIND "${rest}" "*/" end)
        if(end EQUAL -1)
          set(rest "")
        else()
          math(EXPR end "${end} + 2")
          string(SUBSTRING "${rest}" ${end} -1 rest)
          set(in_block_comment FALSE)
        endif()
      else()
        string(FIND "${rest}" "/*" block)
        string(FIND "${rest}" "//" line_comment)
        if(NOT line_comment EQUAL -1 AND (block EQUAL -1 OR line_comment LESS block))
          string(SUBSTRING "${rest}" 0 ${line_comment} before)
          string(APPEND code "${before}")
          set(rest "")
        elseif(NOT block EQUAL -1)
          string(SUBSTRING "${rest}" 0 ${block} before)
          string(APPEND code "${before} ")
          math(EXPR block "${block} + 2")
          string(SUBSTRING "${rest}" ${block} -1 rest)
          set(in_block_comment TRUE)
        else()
          string(APPEND code "${rest}")
          set(rest "")
        endif()
      endif()
    endwhile()
    foreach(i RANGE 0 ${last_rule} 2)
      math(EXPR pattern_index "${i} + 1")
      list(GET FORBIDDEN_RULES ${i} rule)
      list(GET FORBIDDEN_RULES ${pattern_index} pattern)
      if(code MATCHES "${pattern}")
        string(STRIP "${line}" shown)
        string(REPLACE "<semicolon>" "\\;" shown "${shown}")
        string(REPLACE "<lbracket>" "[" shown "${shown}")
        string(REPLACE "<rbracket>" "]" shown "${shown}")
        list(APPEND found "${label}:${line_number}: ${rule}: ${shown}")
      endif()
    endforeach()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

# Appends an offence for each library target_link_libraries() or
# fogsched_add_library()'s PUBLIC and PRIVATE lists give a target in `content` (a
# CMakeLists.txt) other than core and the warnings target.
function(scan_link_libraries label content out)
  set(found "${${out}}")
  string(REGEX REPLACE "#[^\n]*" "" content "${content}")
  set(allowed PUBLIC PRIVATE INTERFACE fogsched::core fogsched_core fogsched_warnings)
  set(rest "${content}")
  set(consumed_lines 0)
  while(rest MATCHES "(target_link_libraries|link_libraries|fogsched_add_library)[ \t\r\n]*\\(([^)]*)\\)")
    set(call "${CMAKE_MATCH_0}")
    set(command "${CMAKE_MATCH_1}")
    set(arguments "${CMAKE_MATCH_2}")
    string(FIND "${rest}" "${call}" at)
    string(SUBSTRING "${rest}" 0 ${at} before)
    string(REGEX MATCHALL "\n" newlines "${before}")
    list(LENGTH newlines newline_count)
    math(EXPR line_number "${consumed_lines} + ${newline_count} + 1")
    string(REGEX MATCHALL "[^ \t\r\n]+" words "${arguments}")
    if(command STREQUAL "target_link_libraries")
      list(POP_FRONT words target)
    elseif(command STREQUAL "fogsched_add_library")
      # NAME SOURCES file... PUBLIC dep... PRIVATE dep...: only the dependencies count.
      set(dependencies "")
      set(in_sources TRUE)
      foreach(word IN LISTS words)
        if(word STREQUAL "SOURCES")
          set(in_sources TRUE)
        elseif(word STREQUAL "PUBLIC" OR word STREQUAL "PRIVATE")
          set(in_sources FALSE)
        elseif(NOT in_sources)
          list(APPEND dependencies "${word}")
        endif()
      endforeach()
      set(words "${dependencies}")
    endif()
    foreach(word IN LISTS words)
      if(NOT word IN_LIST allowed)
        list(APPEND found "${label}:${line_number}: links '${word}' (policies may link fogsched::core only)")
      endif()
    endforeach()
    string(LENGTH "${call}" call_length)
    math(EXPR next "${at} + ${call_length}")
    string(SUBSTRING "${rest}" 0 ${next} consumed)
    string(REGEX MATCHALL "\n" newlines "${consumed}")
    list(LENGTH newlines newline_count)
    math(EXPR consumed_lines "${consumed_lines} + ${newline_count}")
    string(SUBSTRING "${rest}" ${next} -1 rest)
  endwhile()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

# ---- Self-check: every rule must fire on its sample, and nothing else may. -------
set(sample_offences
  "#include \"fogsched/sim/simulator.h\""
  "#include <fogsched/live/node.h>"
  "#include <boost/asio.hpp>"
  "#include \"httplib.h\""
  "#include <random>"
  "#include <thread>"
  "#include <iostream>"
  "#include <fstream>"
  "#include <cstdio>"
  "auto t = std::chrono::steady_clock::now()\\;"
  "auto t = std::chrono::system_clock::now()\\;"
  "auto t = std::chrono::high_resolution_clock::now()\\;"
  "std::random_device device\\;"
  "int r = rand() % 6\\;"
  "srand(42)\\;"
  "auto t = std::time(nullptr)\\;"
  "const char* home = std::getenv(\"HOME\")\\;"
)
set(sample_clean
  "#include \"fogsched/core/policy.h\""
  "#include <chrono>"
  "// steady_clock::now() would break determinism: time comes from ctx.now()"
  "/* no rand() here */ const auto t = ctx.now()\\;"
  "const Duration response_time(ctx.now() - start)\\;"
  "auto phase = ctx.rng().uniform_index(n)\\; peers[i] = next_time(x)\\;"
)
string(JOIN "\n" sample_text ${sample_offences} ${sample_clean})
set(sample_found "")
scan_source("sample" "${sample_text}" sample_found)
list(LENGTH sample_offences expected)
list(LENGTH sample_found actual)
if(NOT actual EQUAL expected)
  string(JOIN "\n  " shown ${sample_found})
  message(FATAL_ERROR "policy purity: the rules found ${actual} offences in their sample, expected ${expected}:\n  ${shown}")
endif()

set(sample_cmake "target_link_libraries(fogsched_policies\n  PUBLIC fogsched::core\n  PRIVATE fogsched_warnings fogsched::sim)")
set(sample_found "")
scan_link_libraries("sample" "${sample_cmake}" sample_found)
if(NOT sample_found STREQUAL "sample:1: links 'fogsched::sim' (policies may link fogsched::core only)")
  message(FATAL_ERROR "policy purity: the link rule misread its sample: '${sample_found}'")
endif()

# ---- The real scan. ----------------------------------------------------------------
file(GLOB_RECURSE sources LIST_DIRECTORIES false
  "${POLICIES_DIR}/*.h" "${POLICIES_DIR}/*.hpp" "${POLICIES_DIR}/*.hh" "${POLICIES_DIR}/*.ipp"
  "${POLICIES_DIR}/*.cpp" "${POLICIES_DIR}/*.cc" "${POLICIES_DIR}/*.cxx" "${POLICIES_DIR}/*.inc")
list(SORT sources)
if(NOT sources)
  message(FATAL_ERROR "policy purity: no sources found under ${POLICIES_DIR}")
endif()

set(offences "")
foreach(source IN LISTS sources)
  file(READ "${source}" content)
  file(RELATIVE_PATH label "${POLICIES_DIR}/.." "${source}")
  scan_source("${label}" "${content}" offences)
endforeach()

file(GLOB_RECURSE cmake_files LIST_DIRECTORIES false "${POLICIES_DIR}/CMakeLists.txt" "${POLICIES_DIR}/*.cmake")
foreach(cmake_file IN LISTS cmake_files)
  file(READ "${cmake_file}" content)
  file(RELATIVE_PATH label "${POLICIES_DIR}/.." "${cmake_file}")
  scan_link_libraries("${label}" "${content}" offences)
endforeach()

list(LENGTH sources source_count)
if(offences)
  list(LENGTH offences offence_count)
  string(JOIN "\n  " shown ${offences})
  message(FATAL_ERROR "policy purity: ${offence_count} offence(s) in policies/ "
                      "(policies see time, randomness and peers only through NodeContext):\n  ${shown}")
endif()
message(STATUS "policy purity: ${source_count} files under policies/ are clean")
