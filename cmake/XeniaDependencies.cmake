# Every dependency comes from Debian 12's packages (see scripts/deps.sh).

find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)          # CMake's module: Debian ships no protobuf config
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XENLIGHT REQUIRED IMPORTED_TARGET xenlight)
pkg_check_modules(XLUTIL REQUIRED IMPORTED_TARGET xlutil)
pkg_check_modules(XENTOOLLOG REQUIRED IMPORTED_TARGET xentoollog)
pkg_check_modules(XENCTRL REQUIRED IMPORTED_TARGET xencontrol)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
if(XENIA_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
