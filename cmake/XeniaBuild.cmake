# Compiler settings shared by every Xenia target: warnings as errors, the
# optional sanitizer build, and ccache when it is installed.

find_program(XENIA_CCACHE ccache)
if(XENIA_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${XENIA_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${XENIA_CCACHE})
endif()

# Applied to our own targets with xenia_target_defaults(); generated protobuf
# code gets the same flags.
set(XENIA_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wformat=2 -Werror)

# Line tables (-g1) are enough for backtraces, sanitizer reports and
# profiles, and compile in about two thirds of the time full debug info
# takes. The sanitizer build is optimised less: it only runs tests.
if(XENIA_SANITIZE)
  set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O1 -g1 -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g1 -DNDEBUG")
else()
  set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O2 -g1 -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O2 -g1 -DNDEBUG")
endif()

if(XENIA_SANITIZE)
  set(XENIA_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options(${XENIA_SANITIZER_FLAGS})
  add_link_options(${XENIA_SANITIZER_FLAGS})
  add_compile_definitions(XENIA_SANITIZE=1)
endif()

function(xenia_target_defaults target)
  target_compile_options(${target} PRIVATE ${XENIA_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

# xenia_add_test(NAME SOURCES a.cc b.cc LIBS lib1 lib2 [LABELS l])
# One GoogleTest binary; each of its tests becomes a ctest test, so that
# `ctest -j` spreads them over the cores.
function(xenia_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  xenia_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${T_LABELS}")
endfunction()
