# deps.cmake: finds every Debian 12 package inboxd uses and fails with the
# package name to install when one is missing (scripts/install-deps installs
# them all).

function(inboxd_require found pkg)
  if(NOT ${found})
    message(FATAL_ERROR "inboxd: missing dependency; install the Debian package '${pkg}' "
                        "(apt-get install ${pkg}, or run scripts/install-deps)")
  endif()
endfunction()

find_package(Threads REQUIRED)

find_package(SQLiteCpp QUIET)
inboxd_require(SQLiteCpp_FOUND libsqlitecpp-dev)
find_package(GTest QUIET CONFIG)
if(INBOXD_BUILD_TESTS)
  inboxd_require(GTest_FOUND "libgtest-dev libgmock-dev")
endif()
find_package(tomlplusplus QUIET)
inboxd_require(tomlplusplus_FOUND libtomlplusplus-dev)
find_package(date QUIET)
inboxd_require(date_FOUND libhowardhinnant-date-dev)
find_package(CLI11 QUIET)
inboxd_require(CLI11_FOUND libcli11-dev)
find_package(spdlog QUIET)
inboxd_require(spdlog_FOUND libspdlog-dev)
find_package(nlohmann_json QUIET)
inboxd_require(nlohmann_json_FOUND nlohmann-json3-dev)
find_package(benchmark QUIET)
if(INBOXD_BUILD_BENCH)
  inboxd_require(benchmark_FOUND libbenchmark-dev)
endif()
find_package(CURL 7.88 QUIET)
inboxd_require(CURL_FOUND libcurl4-openssl-dev)
find_package(OpenSSL QUIET)
inboxd_require(OPENSSL_FOUND libssl-dev)

find_package(PkgConfig QUIET)
inboxd_require(PKG_CONFIG_FOUND pkg-config)
pkg_check_modules(RE2 QUIET IMPORTED_TARGET re2)
inboxd_require(RE2_FOUND libre2-dev)
pkg_check_modules(UCHARDET QUIET IMPORTED_TARGET uchardet)
inboxd_require(UCHARDET_FOUND libuchardet-dev)
pkg_check_modules(HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
inboxd_require(HTTPLIB_FOUND libcpp-httplib-dev)

# Packages that ship neither a CMake config nor a .pc file.
# mimetic (libmimetic-dev) is deliberately not used: Debian's 0.9.8 crashes
# and loses parts on hostile mail (DEPS-FACTS §4); ingest/mime_adapter.h
# says why and what replaces it.

find_path(CLD2_INCLUDE_DIR cld2/public/compact_lang_det.h)
find_library(CLD2_LIBRARY cld2)
inboxd_require(CLD2_LIBRARY libcld2-dev)
add_library(cld2::cld2 UNKNOWN IMPORTED)
set_target_properties(cld2::cld2 PROPERTIES
  IMPORTED_LOCATION "${CLD2_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${CLD2_INCLUDE_DIR}")

find_path(MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp)
inboxd_require(MUSTACHE_INCLUDE_DIR libkainjow-mustache-dev)
add_library(kainjow::mustache INTERFACE IMPORTED)
set_target_properties(kainjow::mustache PROPERTIES
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${MUSTACHE_INCLUDE_DIR}")

# inboxd_library(NAME SOURCES... [DEPS ...]): one static library per folder.
function(inboxd_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${INBOXD_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# inboxd_test(NAME SOURCES... DEPS ...): a gtest binary registered with ctest.
function(inboxd_test name)
  if(NOT INBOXD_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${INBOXD_WARNINGS})
  target_compile_definitions(${name} PRIVATE
    INBOXD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
