# The public headers stand alone: a file that includes only subsidy/subsidy.hpp compiles with the
# public include folders alone (no src/, no Boost, no yaml-cpp), and reads no third-party header
# even where one is installed in a system folder.
#
#   cmake -DCXX=... -DSOURCE=tu.cpp -DINCLUDE_DIRS="a;b" -P public_headers.cmake
foreach(var CXX SOURCE INCLUDE_DIRS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "public_headers.cmake: ${var} is not set")
  endif()
endforeach()
set(flags -std=c++17 -Wall -Wextra -Wpedantic -Werror)
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND flags "-I${dir}")
endforeach()

execute_process(COMMAND "${CXX}" ${flags} -fsyntax-only "${SOURCE}"
                RESULT_VARIABLE status ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "subsidy/subsidy.hpp does not compile on its own:\n${errors}")
endif()

# Every header the preprocessor reads (-M lists them, system folders included).
execute_process(COMMAND "${CXX}" ${flags} -M "${SOURCE}"
                RESULT_VARIABLE status OUTPUT_VARIABLE deps ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "listing the headers failed:\n${errors}")
endif()
string(REGEX MATCHALL "[^ \\\n]*(boost|yaml-cpp|pybind11)/[^ \\\n]*" third_party "${deps}")
if(third_party)
  list(GET third_party 0 first)
  list(LENGTH third_party count)
  message(FATAL_ERROR "subsidy/subsidy.hpp reads ${count} third-party headers, first ${first}")
endif()
message(STATUS "subsidy/subsidy.hpp compiles alone and reads no third-party header")
